import Mustache

/// The dashboard's pages as Mustache templates, compiled into the binary
/// so a Kiln copied to a host without its source still has them. `{{x}}`
/// escapes; the only `{{{x}}}` are the page body and the timeline, which
/// the server built from escaped parts.
enum DashboardTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("layout", layout), ("overview", overview), ("machine", machine), ("catalog", catalog), ("login", login),
                             ("problem", problem)] {
            // The templates are constants of this file: a mistake in one is a bug caught by the tests, not input.
            try! library.register(text, named: name)
        }
        return library
    }()

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Kiln</title>
        <link rel="icon" href="/ui/static/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/ui/static/kiln.css">
        <script src="/ui/static/kiln.js" defer></script>
        </head>
        <body>
        <header class="top">
        <a class="brand" href="/ui/">Kiln</a>
        <nav>
        <a href="/ui/"{{#onMachines}} aria-current="page"{{/onMachines}}>Machines</a>
        <a href="/ui/catalog"{{#onCatalog}} aria-current="page"{{/onCatalog}}>Catalog</a>
        </nav>
        {{#user}}
        <form class="logout" method="post" action="/ui/logout">
        <span class="who">{{name}} · {{scope}}</span>
        {{#csrf}}<input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Log out</button>{{/csrf}}
        </form>
        {{/user}}
        </header>
        <main>
        {{{body}}}
        </main>
        </body>
        </html>

        """

    static let overview = """
        <h1>Machines</h1>
        <section class="counts" aria-label="Machines per stage">
        <a class="count all" href="/ui/"><span>all</span> <b data-count="all">{{total}}</b></a>
        {{#counts}}<a class="count stage-{{stage}}" href="/ui/?stage={{stage}}"><span>{{stage}}</span> <b data-count="{{stage}}">{{count}}</b></a>
        {{/counts}}
        </section>
        <form class="filters" method="get" action="/ui/">
        <label>Stage <select name="stage"><option value="">any</option>{{#stageOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/stageOptions}}</select></label>
        <label>Group <input name="group" value="{{group}}" size="14"></label>
        <label>Profile <input name="profile" value="{{profile}}" size="14"></label>
        <label>Text <input name="q" value="{{q}}" size="22" placeholder="MAC, hostname, any label"></label>
        <button type="submit">Filter</button>
        <a href="/ui/">Clear</a>
        </form>
        <p class="summary">{{summary}} <span id="live-status" class="live-status">live updates need JavaScript</span> <a id="live-outside" class="live-outside" href="{{here}}" hidden>more changed: reload</a></p>
        <div class="board" id="board" data-live="{{liveURL}}">
        {{#columns}}
        <section class="column stage-{{stage}}" data-stage="{{stage}}">
        <h2>{{stage}} <span class="n">{{count}}</span></h2>
        <ol>
        {{#machines}}
        <li class="tile stage-{{display}}" data-mac="{{mac}}" data-stage="{{display}}">
        <a class="mac" href="/ui/machines/{{mac}}">{{mac}}</a>
        <span class="host" title="{{hostnameTitle}}">{{hostname}}</span>
        <span class="assigned">{{assigned}}</span>
        <time datetime="{{lastSeen}}" title="{{lastSeen}}">{{lastSeenText}}</time>
        <span class="error" title="{{lastErrorTitle}}">{{lastError}}</span>
        </li>
        {{/machines}}
        </ol>
        </section>
        {{/columns}}
        </div>
        {{#empty}}<p class="empty">{{empty}}</p>{{/empty}}
        <nav class="pages">{{#previous}}<a rel="prev" href="{{previous}}">← previous</a>{{/previous}} {{#next}}<a rel="next" href="{{next}}">next →</a>{{/next}}</nav>

        """

    static let machine = """
        <p class="crumbs"><a href="/ui/">Machines</a> / {{mac}}</p>
        <h1><span class="mac">{{mac}}</span> <span class="badge stage-{{display}}" id="machine-stage">{{display}}</span></h1>
        {{#flash}}<p class="flash" role="status">{{flash}}</p>{{/flash}}
        <dl class="facts">
        <dt>Hostname</dt><dd class="wrap">{{hostname}}</dd>
        <dt>Stage reached</dt><dd>{{stage}}</dd>
        <dt>Group / profile (as recorded)</dt><dd>{{assigned}}</dd>
        <dt>First seen</dt><dd><time datetime="{{firstSeen}}">{{firstSeen}}</time></dd>
        <dt>Last seen</dt><dd><time datetime="{{lastSeen}}">{{lastSeen}}</time></dd>
        <dt>Address</dt><dd>{{address}}</dd>
        <dt>Last error</dt><dd class="wrap error-text">{{lastError}}</dd>
        </dl>
        {{#bmc}}
        <section class="bmc" id="bmc">
        <h2>BMC</h2>
        <dl class="facts">
        <dt>Redfish</dt><dd class="wrap"><code>{{url}}</code>{{#systemPath}} <code>{{systemPath}}</code>{{/systemPath}} (certificate check: {{trust}})</dd>
        <dt>Hardware</dt><dd class="wrap" id="bmc-hardware">{{hardware}}</dd>
        <dt>NICs</dt><dd class="wrap">{{nics}}</dd>
        <dt>Facts read</dt><dd>{{factsRead}}</dd>
        {{#pendingEject}}<dt>Media to eject</dt><dd class="wrap">{{pendingEject}}</dd>{{/pendingEject}}
        </dl>
        {{#result}}<p class="{{#failed}}form-errors{{/failed}}{{^failed}}flash{{/failed}}" role="status" id="bmc-result">{{text}}</p>{{/result}}
        <form method="post" action="/ui/machines/{{mac}}/bmc" class="bmc-actions">
        {{#csrf}}<input type="hidden" name="csrf" value="{{csrf}}">{{/csrf}}
        {{#mayWrite}}
        <button type="submit" name="action" value="power-status">Power state</button>
        <button type="submit" name="action" value="power-on">Power on</button>
        <button type="submit" name="action" value="power-off">Power off</button>
        <button type="submit" name="action" value="power-cycle">Power cycle</button>
        <button type="submit" name="action" value="netboot">Netboot</button>
        <button type="submit" name="action" value="install-iso">Install from ISO</button>
        <button type="submit" name="action" value="netboot-cd">Boot network CD</button>
        <button type="submit" name="action" value="eject">Eject media</button>
        <button type="submit" name="action" value="facts">Read facts</button>
        {{/mayWrite}}
        {{^mayWrite}}<span class="hint">this token may only read; BMC actions need a write token</span>{{/mayWrite}}
        </form>
        <p class="note">Each action waits for the BMC (power changes can take a minute) and is recorded on the timeline below. The account is never shown.</p>
        </section>
        {{/bmc}}
        <section>
        <h2>Latest boot</h2>
        {{{timeline}}}
        <p class="note">{{timelineNote}}</p>
        </section>
        {{#assign}}
        <section class="assign" id="assign">
        <h2>Assign a profile</h2>
        <p>No group selects this machine. Assigning writes the group <code>{{groupName}}</code>, which selects its MAC: the same write as <code>POST /api/v1/machines/{{mac}}/assign</code>.</p>
        {{#problem}}<div class="form-errors" role="alert"><p>{{message}}</p><ul>{{#reasons}}<li><code>{{.}}</code></li>{{/reasons}}</ul></div>{{/problem}}
        <form method="post" action="/ui/machines/{{mac}}/assign">
        {{#csrf}}<input type="hidden" name="csrf" value="{{csrf}}">{{/csrf}}
        <label>Profile <select name="profile" required>{{#profiles}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{id}}</option>{{/profiles}}</select></label>
        <label>Metadata <span class="hint">(a JSON object, optional)</span><textarea name="metadata" rows="3" cols="60">{{metadata}}</textarea></label>
        {{#mayWrite}}<button type="submit">Assign</button>{{/mayWrite}}
        {{^mayWrite}}<button type="submit" disabled>Assign</button> <span class="hint">this token may only read</span>{{/mayWrite}}
        </form>
        </section>
        {{/assign}}
        <section>
        <h2>What it gets now</h2>
        {{#chosen}}<p class="match">Group <a href="/ui/catalog#group-{{group}}">{{group}}</a> ({{selectors}}) from <code>{{groupPath}}</code> → profile <a href="/ui/catalog#profile-{{profile}}">{{profile}}</a>{{#profilePath}} from <code>{{profilePath}}</code>{{/profilePath}}.</p>{{/chosen}}
        {{^chosen}}<p class="match none">{{unmatched}}</p>{{/chosen}}
        <table class="verdicts">
        <caption>Every group, as <code>kiln match</code> explains it</caption>
        <thead><tr><th>Group</th><th>Selectors</th><th>Verdict</th></tr></thead>
        <tbody>{{#verdicts}}<tr class="{{class}}"><td>{{group}}</td><td>{{selectors}}</td><td>{{verdict}}</td></tr>{{/verdicts}}</tbody>
        </table>
        <h3>iPXE script</h3>
        <pre class="document" id="ipxe">{{ipxe}}</pre>
        <h3>Ignition</h3>
        <p class="controls">{{#contentsHidden}}File contents hidden. <a href="?contents=show#ignition">Show file contents</a>{{/contentsHidden}}{{^contentsHidden}}<a href="?contents=hide#ignition">Hide file contents</a>{{/contentsHidden}}</p>
        <pre class="document json" id="ignition">{{ignition}}</pre>
        </section>
        <section>
        <h2>Labels</h2>
        <table class="labels"><tbody>{{#labels}}<tr><th>{{key}}</th><td class="wrap">{{value}}</td></tr>{{/labels}}</tbody></table>
        </section>
        <section>
        <h2>Events</h2>
        <table class="events">
        <thead><tr><th>Time</th><th>Since power-on</th><th>Kind</th><th>Endpoint</th><th>Target</th><th>Status</th><th>Bytes</th><th>Took</th><th>Stage</th><th>×</th><th>Reason</th></tr></thead>
        <tbody>{{#events}}<tr class="{{class}}"><td><time datetime="{{time}}">{{clock}}</time></td><td>{{offset}}</td><td>{{kind}}</td><td>{{endpoint}}</td><td class="wrap">{{target}}</td><td>{{status}}</td><td>{{bytes}}</td><td>{{duration}}</td><td>{{stage}}</td><td>{{repeats}}</td><td class="wrap">{{reason}}</td></tr>{{/events}}</tbody>
        </table>
        </section>

        """

    static let catalog = """
        <h1>Catalog</h1>
        <section class="load {{loadClass}}">
        <h2>Last load</h2>
        <p>{{loadSummary}}</p>
        {{#hasErrors}}<h3>Errors</h3><ul class="problems">{{#errors}}<li><code>{{.}}</code></li>{{/errors}}</ul>{{/hasErrors}}
        {{#hasWarnings}}<h3>Warnings</h3><ul class="problems warnings">{{#warnings}}<li><code>{{.}}</code></li>{{/warnings}}</ul>{{/hasWarnings}}
        </section>
        <section>
        <h2>Groups</h2>
        <p class="note">{{matchNote}}</p>
        <table class="catalog">
        <thead><tr><th>Group</th><th>Selectors</th><th>Profile</th><th>Machines it selects now</th></tr></thead>
        <tbody>{{#groups}}<tr id="group-{{id}}"><td>{{id}}<br><span class="hint">{{name}}</span></td><td>{{selectors}}</td><td><a href="#profile-{{profile}}">{{profile}}</a></td><td>{{count}} {{#macs}}<a class="mac" href="/ui/machines/{{.}}">{{.}}</a> {{/macs}}{{more}}</td></tr>{{/groups}}</tbody>
        </table>
        </section>
        <section>
        <h2>Profiles</h2>
        <table class="catalog">
        <thead><tr><th>Profile</th><th>Kernel</th><th>Groups</th><th>Machines</th></tr></thead>
        <tbody>{{#profiles}}<tr id="profile-{{id}}"><td>{{id}}<br><span class="hint">{{path}}</span></td><td class="wrap">{{kernel}}</td><td>{{groups}}</td><td>{{count}}</td></tr>{{/profiles}}</tbody>
        </table>
        </section>

        """

    static let login = """
        <h1>Log in</h1>
        {{#problem}}<p class="form-errors" role="alert">{{problem}}</p>{{/problem}}
        <form class="login" method="post" action="/ui/login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="next" value="{{next}}">
        <label>API token <input type="password" name="token" autocomplete="current-password" required autofocus size="50"></label>
        <button type="submit">Log in</button>
        </form>
        <p class="note">Any token from the API's tokens file opens the dashboard; a write token may also assign profiles. Make one with <code>kiln token add NAME --scope write --tokens-file TOKENS</code>; <code>make run</code> keeps one in <code>profiles/state/admin.token</code>.</p>

        """

    static let problem = """
        <h1>{{heading}}</h1>
        <p>{{message}}</p>
        <p><a href="/ui/">Back to the machines</a></p>

        """
}
