import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The dashboard's stylesheet, script and icon: small, Kiln's own, served
/// from memory. No CDN and no build step, so an offline rack works.
enum DashboardAssets {
    static let files: [String: (contentType: String, text: String)] = [
        "kiln.css": ("text/css; charset=utf-8", css),
        "kiln.js": ("text/javascript; charset=utf-8", script),
        "favicon.svg": ("image/svg+xml", favicon),
    ]

    static func response(for name: String) throws -> Response {
        guard let file = files[name] else { throw DashboardError(.notFound, "Not found", "There is no dashboard file of that name.") }
        return Response(status: .ok, headers: [.contentType: file.contentType], body: .init(byteBuffer: ByteBuffer(string: file.text)))
    }

    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#b3541e"/><path d="M4 12V4h2v3l3-3h2.5L8 7.5 11.8 12H9.3L6 8.6V12z" fill="#fff"/></svg>

        """

    static let css = """
        :root {
          --discovered: #6e7781; --firmware: #8250df; --ipxe: #0969da; --kernel: #0a7f8c;
          --initrd: #9a6700; --config: #1a7f37; --failed: #cf222e;
          --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --paper: #ffffff; --wash: #f6f8fa;
          font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--paper);
        }
        body { margin: 0; }
        main { padding: 0 1.25rem 2rem; max-width: 1600px; }
        a { color: #0550ae; }
        h1 .mac { font-size: inherit; }
        code, pre, .mac { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; }
        .top { display: flex; gap: 1.5rem; align-items: center; padding: 0.5rem 1.25rem; background: #24292f; color: #fff; }
        .top a { color: #fff; text-decoration: none; }
        .top nav a { margin-right: 1rem; opacity: 0.85; }
        .top nav a[aria-current] { opacity: 1; border-bottom: 2px solid #fff; }
        .brand { font-weight: 700; font-size: 1.15rem; }
        .logout { margin-left: auto; display: flex; gap: 0.5rem; align-items: center; }
        .who { opacity: 0.8; font-size: 0.9rem; }
        h1 { font-size: 1.4rem; margin: 1rem 0 0.75rem; }
        h2 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
        .counts { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-bottom: 0.75rem; }
        .count { border: 1px solid var(--line); border-left: 6px solid var(--discovered); border-radius: 6px; padding: 0.3rem 0.6rem;
          text-decoration: none; color: var(--ink); background: var(--wash); }
        .count b { font-size: 1.05rem; }
        .count.all { border-left-color: var(--ink); }
        .filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; margin-bottom: 0.5rem; }
        .filters label { display: flex; flex-direction: column; font-size: 0.8rem; color: var(--muted); }
        .summary { color: var(--muted); font-size: 0.9rem; }
        .live-status { margin-left: 0.75rem; font-size: 0.8rem; }
        .live-status.on::before { content: "● "; color: var(--config); }
        .board { display: grid; grid-template-columns: repeat(7, minmax(10rem, 1fr)); gap: 0.5rem; align-items: start; overflow-x: auto; }
        .column { background: var(--wash); border: 1px solid var(--line); border-top: 4px solid var(--discovered); border-radius: 6px; min-width: 0; }
        .column h2 { font-size: 0.9rem; margin: 0; padding: 0.4rem 0.5rem; text-transform: uppercase; letter-spacing: 0.04em; }
        .column h2 .n { color: var(--muted); font-weight: 400; }
        .column ol { list-style: none; margin: 0; padding: 0 0.35rem 0.35rem; display: flex; flex-direction: column; gap: 0.35rem; }
        .tile { background: var(--paper); border: 1px solid var(--line); border-left: 5px solid var(--discovered); border-radius: 5px;
          padding: 0.3rem 0.45rem; display: flex; flex-direction: column; font-size: 0.8rem; min-width: 0; }
        .tile > * { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .tile .mac { font-weight: 600; }
        .tile .assigned, .tile time { color: var(--muted); }
        .tile .error { color: var(--failed); }
        .tile .error:empty { display: none; }
        .stage-discovered { border-color: var(--discovered); } .stage-firmware { border-color: var(--firmware); }
        .stage-ipxe { border-color: var(--ipxe); } .stage-kernel { border-color: var(--kernel); }
        .stage-initrd { border-color: var(--initrd); } .stage-config { border-color: var(--config); }
        .stage-failed { border-color: var(--failed); }
        .tile.stage-discovered, .count.stage-discovered { border-left-color: var(--discovered); }
        .tile.stage-firmware, .count.stage-firmware { border-left-color: var(--firmware); }
        .tile.stage-ipxe, .count.stage-ipxe { border-left-color: var(--ipxe); }
        .tile.stage-kernel, .count.stage-kernel { border-left-color: var(--kernel); }
        .tile.stage-initrd, .count.stage-initrd { border-left-color: var(--initrd); }
        .tile.stage-config, .count.stage-config { border-left-color: var(--config); }
        .tile.stage-failed, .count.stage-failed { border-left-color: var(--failed); }
        .column.stage-discovered { border-top-color: var(--discovered); } .column.stage-firmware { border-top-color: var(--firmware); }
        .column.stage-ipxe { border-top-color: var(--ipxe); } .column.stage-kernel { border-top-color: var(--kernel); }
        .column.stage-initrd { border-top-color: var(--initrd); } .column.stage-config { border-top-color: var(--config); }
        .column.stage-failed { border-top-color: var(--failed); }
        .tile.moved { animation: moved 1.5s ease-out; }
        @keyframes moved { from { background: #fff8c5; } to { background: var(--paper); } }
        .badge { color: #fff; border-radius: 1rem; padding: 0.1rem 0.6rem; font-size: 0.85rem; vertical-align: middle; background: var(--discovered); }
        .badge.stage-firmware { background: var(--firmware); } .badge.stage-ipxe { background: var(--ipxe); }
        .badge.stage-kernel { background: var(--kernel); } .badge.stage-initrd { background: var(--initrd); }
        .badge.stage-config { background: var(--config); } .badge.stage-failed { background: var(--failed); }
        .pages { margin-top: 0.75rem; display: flex; gap: 1rem; }
        .crumbs { color: var(--muted); margin: 0.75rem 0 0; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; min-width: 0; }
        .wrap { overflow-wrap: anywhere; word-break: break-word; max-width: 70rem; }
        .error-text { color: var(--failed); }
        table { border-collapse: collapse; font-size: 0.85rem; }
        th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
        caption { text-align: left; color: var(--muted); padding: 0.25rem 0; }
        tr.failed td { color: var(--failed); }
        tr.chosen td { font-weight: 600; }
        .labels td { max-width: 60rem; }
        pre.document { background: var(--wash); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; overflow: auto; max-height: 32rem;
          white-space: pre-wrap; overflow-wrap: anywhere; }
        .timeline { max-width: 100%; height: auto; background: var(--wash); border: 1px solid var(--line); border-radius: 6px; }
        .timeline .lane { stroke: var(--line); }
        .timeline .tick { stroke: #eaeef2; }
        .timeline text { font-size: 11px; fill: var(--muted); }
        .timeline .reached { fill: var(--ink); font-weight: 600; }
        .timeline .mark { fill: var(--discovered); }
        .timeline .mark.stage-firmware { fill: var(--firmware); } .timeline .mark.stage-ipxe { fill: var(--ipxe); }
        .timeline .mark.stage-kernel { fill: var(--kernel); } .timeline .mark.stage-initrd { fill: var(--initrd); }
        .timeline .mark.stage-config { fill: var(--config); }
        .timeline .mark.failed path { stroke: var(--failed); stroke-width: 2.5; }
        .note, .hint { color: var(--muted); font-size: 0.85rem; }
        .flash { background: #dafbe1; border: 1px solid #aceebb; padding: 0.4rem 0.6rem; border-radius: 6px; }
        .form-errors { background: #ffebe9; border: 1px solid #ffcecb; padding: 0.4rem 0.6rem; border-radius: 6px; }
        .assign form, .login { display: flex; flex-direction: column; gap: 0.6rem; max-width: 40rem; }
        .assign label, .login label { display: flex; flex-direction: column; gap: 0.2rem; }
        .load.failed p { color: var(--failed); font-weight: 600; }
        .problems code { white-space: pre-wrap; overflow-wrap: anywhere; }
        button { font: inherit; padding: 0.3rem 0.8rem; }

        """

    /// Live updates only; every page works without it. Text goes in with
    /// textContent, never as HTML: machine labels come from the network.
    static let script = """
        "use strict";
        (function () {
          const board = document.getElementById("board");
          if (!board || !window.EventSource) return;
          const status = document.getElementById("live-status");
          const outside = document.getElementById("live-outside");
          const setStatus = (text, on) => { status.textContent = text; status.classList.toggle("on", on); document.body.dataset.live = on ? "open" : "closed"; };
          setStatus("connecting…", false);
          const source = new EventSource(board.dataset.live);
          let connected = false;
          // After a reconnection, what changed while the stream was down was not sent: say so.
          source.addEventListener("ready", () => { if (connected) outside.hidden = false; connected = true; setStatus("live", true); });
          source.onerror = () => setStatus("reconnecting…", false);
          const field = (tile, name) => tile.querySelector("." + name);
          const recount = () => {
            for (const column of board.querySelectorAll("section.column")) {
              column.querySelector("h2 .n").textContent = column.querySelectorAll("li.tile").length;
            }
          };
          source.addEventListener("machine", (event) => {
            const m = JSON.parse(event.data);
            const tile = board.querySelector('li.tile[data-mac="' + CSS.escape(m.mac) + '"]');
            if (!tile) { outside.hidden = false; return; }
            const list = board.querySelector('section.column[data-stage="' + CSS.escape(m.display) + '"] ol');
            field(tile, "host").textContent = m.hostname;
            field(tile, "host").title = m.hostnameTitle;
            field(tile, "assigned").textContent = m.assigned;
            const time = tile.querySelector("time");
            time.textContent = m.lastSeenText;
            time.dateTime = m.lastSeen;
            time.title = m.lastSeen;
            field(tile, "error").textContent = m.lastError;
            field(tile, "error").title = m.lastErrorTitle;
            if (tile.dataset.stage !== m.display && list) {
              let before = null;
              for (const other of list.querySelectorAll("li.tile")) { if (other.dataset.mac > m.mac) { before = other; break; } }
              list.insertBefore(tile, before);
              tile.className = "tile stage-" + m.display + " moved";
              tile.dataset.stage = m.display;
              recount();
            }
          });
          source.addEventListener("overflow", () => { outside.hidden = false; });
          source.addEventListener("counts", (event) => {
            const counts = JSON.parse(event.data);
            for (const [stage, count] of Object.entries(counts)) {
              const element = document.querySelector('[data-count="' + CSS.escape(stage) + '"]');
              if (element) element.textContent = count;
            }
          });
        })();

        """
}
