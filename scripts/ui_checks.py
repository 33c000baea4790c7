#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium driven by selenium.

Run by scripts/ui-checks.sh, which starts Kiln, seeds its inventory through
the boot endpoints and passes the addresses and token in the environment.
Prints one line per check and exits 1 when any failed.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

UI = os.environ["KILN_UI"]            # http://127.0.0.1:PORT
BOOT = os.environ["KILN_BOOT"]        # http://127.0.0.1:PORT (boot endpoints)
TOKEN = os.environ["KILN_TOKEN"]      # a write token
SHOTS = os.environ["KILN_SCREENSHOTS"]
LIVE_MAC = os.environ["KILN_LIVE_MAC"]          # at ipxe; the script fetches its config
DISCOVERED_MAC = os.environ["KILN_DISCOVERED_MAC"]
OTHER_DISCOVERED_MAC = os.environ["KILN_OTHER_DISCOVERED_MAC"]
HOSTILE_MAC = os.environ["KILN_HOSTILE_MAC"]
BOOTED_MAC = os.environ["KILN_BOOTED_MAC"]
HOSTILE = "<img src=x onerror=alert(1)>"
STAGE_COLOURS = {  # the stylesheet's border colours, as the browser computes them
    "ipxe": "rgb(9, 105, 218)",
    "config": "rgb(26, 127, 55)",
    "discovered": "rgb(110, 119, 129)",
}

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name} {detail}")


def browser():
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,1000",
                     "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver is Debian's: selenium never downloads one.
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(10)
    return driver


def wait(driver, condition, seconds=10):
    try:
        WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: condition(d))
        return True
    except TimeoutException:
        return False


def tile(driver, mac):
    found = driver.find_elements(By.CSS_SELECTOR, f'li.tile[data-mac="{mac}"]')
    return found[0] if found else None


def column_of(driver, mac):
    return driver.execute_script(
        "const t = document.querySelector('li.tile[data-mac=\"' + arguments[0] + '\"]');"
        "return t ? t.closest('section.column').dataset.stage : null;", mac)


def post(path, fields, cookie):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(UI + path, data=data, method="POST",
                                     headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def no_alert(driver):
    try:
        driver.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def main():
    driver = browser()
    try:
        run(driver)
    finally:
        driver.quit()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run(driver):
    # Without a session every page goes to the login form.
    for path in ("/ui/", f"/ui/machines/{BOOTED_MAC}", "/ui/catalog"):
        driver.get(UI + path)
        check(f"without a session {path} redirects to login", "/ui/login" in driver.current_url, driver.current_url)

    driver.find_element(By.NAME, "token").send_keys("kiln_not-a-token")
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    # The refusal is a new page: wait for it rather than read the old one.
    check("a wrong token is refused on the form",
          wait(driver, lambda d: any("not in the tokens file" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".form-errors"))))
    driver.get_log("browser")  # drains the console: that 401 was asked for
    driver.find_element(By.NAME, "token").send_keys(TOKEN)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    check("logging in with a token opens the overview", wait(driver, lambda d: d.current_url.endswith("/ui/catalog")
                                                             or d.current_url.rstrip("/").endswith("/ui")), driver.current_url)
    session = next((c for c in driver.get_cookies() if c["name"] == "kiln_session"), None)
    check("the session cookie is HttpOnly and SameSite=Strict",
          session is not None and session.get("httpOnly") and session.get("sameSite") == "Strict", str(session))

    # The overview: tiles in their stage columns, coloured by stage.
    driver.get(UI + "/ui/")
    for mac, stage in ((LIVE_MAC, "ipxe"), (BOOTED_MAC, "config"), (DISCOVERED_MAC, "discovered")):
        element = tile(driver, mac)
        check(f"{mac} is in the {stage} column", column_of(driver, mac) == stage, str(column_of(driver, mac)))
        colour = element.value_of_css_property("border-left-color") if element else ""
        colour = colour.replace("rgba(", "rgb(").replace(", 1)", ")")
        check(f"{mac}'s tile has the {stage} colour", colour == STAGE_COLOURS[stage], str(colour))
    counts = {e.get_attribute("data-count"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-count]")}
    check("the counts show every machine", counts.get("all") == "6", json.dumps(counts))

    Select(driver.find_element(By.NAME, "stage")).select_by_value("discovered")
    driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait(driver, lambda d: "stage=discovered" in d.current_url)
    macs = [e.get_attribute("data-mac") for e in driver.find_elements(By.CSS_SELECTOR, "li.tile")]
    check("filtering by stage shows only that stage", sorted(macs) == sorted([DISCOVERED_MAC, OTHER_DISCOVERED_MAC, HOSTILE_MAC]), str(macs))
    driver.get(UI + "/ui/?q=node1")
    macs = [e.get_attribute("data-mac") for e in driver.find_elements(By.CSS_SELECTOR, "li.tile")]
    check("filtering by text finds the machine by hostname", macs == [BOOTED_MAC], str(macs))

    # Live: a config fetched while the page is open moves the tile.
    driver.get(UI + "/ui/")
    check("the live stream opens", wait(driver, lambda d: d.execute_script("return document.body.dataset.live") == "open"))
    status = get(f"{BOOT}/ignition?mac={LIVE_MAC}&rack=r1&zone=z")
    check("the machine fetches its config", status == 200, str(status))
    moved = wait(driver, lambda d: column_of(d, LIVE_MAC) == "config", seconds=15)
    check("its tile moves to the config column without a reload", moved,
          f"column {column_of(driver, LIVE_MAC)}; " + str(driver.execute_script(
              "return {live: document.body.dataset.live, status: document.getElementById('live-status').textContent, "
              "outside: !document.getElementById('live-outside').hidden, log: window.kilnLiveLog || []}")))
    check("the page was not reloaded", driver.execute_script("return performance.getEntriesByType('navigation').length") == 1
          and tile(driver, LIVE_MAC) is not None and "moved" in (tile(driver, LIVE_MAC).get_attribute("class") or ""))
    check("the config count went up live", wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, '[data-count="config"]').text == "2"))
    driver.save_screenshot(os.path.join(SHOTS, "overview.png"))

    # Hostile labels show as text and run nothing.
    driver.get(UI + f"/ui/machines/{HOSTILE_MAC}")
    check("a hostile hostname raises no alert", no_alert(driver))
    check("no element from a label is in the page", not driver.find_elements(By.CSS_SELECTOR, "main img, main script"))
    facts = driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    check("the hostname shows as text", HOSTILE in facts, facts[:200])
    long_label = driver.execute_script(
        "for (const row of document.querySelectorAll('table.labels tr')) if (row.querySelector('th').textContent === 'serial') "
        "return row.querySelector('td').textContent.length; return -1;")
    check("the 100 KB label shows, shortened", 4000 < long_label < 5000, str(long_label))
    driver.get(UI + "/ui/")
    check("the overview shows the hostile hostname as text", HOSTILE in (tile(driver, HOSTILE_MAC).text if tile(driver, HOSTILE_MAC) else ""))
    check("no alert on the overview either", no_alert(driver))

    # A booted machine's page: the timeline and what it gets.
    driver.get(UI + f"/ui/machines/{BOOTED_MAC}")
    marks = driver.find_elements(By.CSS_SELECTOR, "svg.timeline circle.mark")
    check("the timeline draws the boot's events", len(marks) >= 4, str(len(marks)))
    check("the iPXE script is shown", "flatcar_production_pxe.vmlinuz" in driver.find_element(By.ID, "ipxe").text)
    check("the rendered Ignition is shown", '"ignition"' in driver.find_element(By.ID, "ignition").text)
    driver.save_screenshot(os.path.join(SHOTS, "machine.png"))
    driver.find_element(By.LINK_TEXT, "Hide file contents").click()
    check("file contents can be hidden", wait(driver, lambda d: "hidden" in d.find_element(By.ID, "ignition").text
                                              or "contents=hide" in d.current_url))

    # Assign a discovered machine from its page; it is then matched.
    driver.get(UI + f"/ui/machines/{DISCOVERED_MAC}")
    Select(driver.find_element(By.NAME, "profile")).select_by_value("flatcar-live")
    driver.find_element(By.NAME, "metadata").send_keys('{"role": "spare"}')
    driver.find_element(By.CSS_SELECTOR, "section.assign button").click()
    check("assigning shows the machine matched", wait(driver, lambda d: "now selects this machine" in d.page_source))
    check("the page names the new group", "machine-" + DISCOVERED_MAC.replace(":", "") in driver.find_element(By.CSS_SELECTOR, "p.match").text)
    check("the machine now gets its boot script", get(f"{BOOT}/ipxe?mac={DISCOVERED_MAC}") == 200)

    # A form without its CSRF token is refused, even with the session cookie.
    cookie = f"kiln_session={session['value']}" if session else ""
    status = post(f"/ui/machines/{OTHER_DISCOVERED_MAC}/assign", {"profile": "flatcar-live"}, cookie)
    check("a form posted without its CSRF token is refused", status == 403, str(status))
    check("and nothing was assigned", get(f"{BOOT}/ipxe?mac={OTHER_DISCOVERED_MAC}") == 404)

    # The catalog page lists groups with their machines.
    driver.get(UI + "/ui/catalog")
    check("the catalog lists the new group", "machine-" + DISCOVERED_MAC.replace(":", "") in driver.page_source)

    # Nothing the pages did broke the policy or ran a script.
    problems = [entry for entry in driver.get_log("browser")
                if entry["level"] == "SEVERE" and "/ui/events" not in entry["message"]]
    check("the browser console has no errors (CSP violations among them)", not problems, json.dumps(problems)[:600])

    # Logging out ends the session.
    driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
    wait(driver, lambda d: "/ui/login" in d.current_url)
    driver.get(UI + "/ui/")
    check("after logging out pages redirect to login", "/ui/login" in driver.current_url)


if __name__ == "__main__":
    sys.exit(main())
