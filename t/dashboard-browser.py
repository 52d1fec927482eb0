#!/usr/bin/python3
# t/dashboard-browser.py: the dashboard in a real headless browser
# (Debian's chromium, driven through WebDriver by python3-selenium with
# /usr/bin/chromedriver), one browser for the whole file, against real
# dagzds holding jobs made by real "dagz run"s. It speaks TAP: one line
# per check; each check saves a screenshot under the build tree, and a
# failing one says where.
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("DAGZ_BUILDDIR") or os.path.dirname(HERE)
SHOTS = os.path.join(BUILD, "t", "screenshots")
TMP = tempfile.mkdtemp(prefix="dagz-browser-")
XSS = "<img src=x onerror=alert(1)>"

ENV = dict(os.environ)
for v in ("DAGZ_NO_STORE", "DAGZ_URL", "DAGZ_TOKEN", "CI", "GITLAB_CI",
          "GITHUB_ACTIONS", "BUILDKITE", "CIRCLECI", "CI_NODE_INDEX",
          "CI_NODE_TOTAL", "DAGZ_RUN_KEY", "DAGZ_NODE_INDEX",
          "DAGZ_NODE_TOTAL"):
    ENV.pop(v, None)
ENV["PATH"] = "%s/scripts:%s:%s" % (BUILD, BUILD, ENV.get("PATH", ""))
ENV["NO_COLOR"] = "1"

daemons = []


def dagzd(name, *args):
    """Starts a dagzd with a home of its own; returns (url, home)."""
    home = os.path.join(TMP, name)
    os.makedirs(home)
    out = open(os.path.join(TMP, name + ".out"), "w+")
    p = subprocess.Popen([os.path.join(BUILD, "dagzd"), "-H", home, "-l",
                          "127.0.0.1:0"] + list(args), stdout=out,
                         stderr=subprocess.DEVNULL, env=ENV)
    daemons.append(p)
    for _ in range(200):
        out.seek(0)
        line = out.readline()
        if line.startswith("dagzd: listening on "):
            return line.split()[3], home
        time.sleep(0.05)
    raise RuntimeError("dagzd did not start")


def manifest(name, lines):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        for line in lines:
            f.write(line + "\n")
    return path


def dagz_run(url, home, m, *args, wait=True):
    env = dict(ENV, DAGZ_URL=url, DAGZ_HOME=home)
    cmd = ["dagz", "run", "--retries", "0", "--log-dir",
           os.path.join(TMP, "logs-" + os.path.basename(m))] + \
        list(args) + ["--manifest", m]
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


def browser(downloads):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=1280,1000"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {
        "download.default_directory": downloads,
        "download.prompt_for_download": False})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                         options=opts)
    d.execute_cdp_cmd("Page.setDownloadBehavior",
                      {"behavior": "allow", "downloadPath": downloads})
    return d


def wait_for(what, timeout=10):
    """Polls what() until it is true; returns its value."""
    end = time.time() + timeout
    while True:
        v = what()
        if v or time.time() > end:
            return v
        time.sleep(0.1)


def no_alert(d):
    try:
        d.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


checks = []


def check(fn):
    checks.append(fn)
    return fn


def main():
    global D, URL, HOME, TURL, THOME, DOWN
    os.makedirs(SHOTS, exist_ok=True)
    URL, HOME = dagzd("store")
    passing = manifest("passing.ndjson", [
        '{"id": "one", "sh": "echo one"}',
        '{"id": "two", "sh": "echo two"}'])
    failing = manifest("failing.ndjson", [
        '{"id": "fine", "sh": "echo fine"}',
        '{"id": "t/cases", "format": "tap", "sh": "echo 1..2; '
        'echo ok 1 - a; echo the widget broke; echo not ok 2 - b"}',
        '{"id": "%s", "sh": "echo escaped"}' % XSS])
    dagz_run(URL, HOME, passing, "-j", "2")
    dagz_run(URL, HOME, failing, "-j", "2")
    token = os.path.join(TMP, "token")
    with open(token, "w") as f:
        f.write("s3cret-token-of-the-store-0123456789\n")
    TURL, THOME = dagzd("guarded", "--token-file", token)
    DOWN = os.path.join(TMP, "downloads")
    os.makedirs(DOWN)
    D = browser(DOWN)
    print("1..%d" % len(checks))
    failed = 0
    try:
        for n, fn in enumerate(checks, 1):
            name = fn.__name__
            shot = os.path.join(SHOTS, "dashboard-%s.png" % name)
            desc = (fn.__doc__ or name).strip().splitlines()[0]
            try:
                fn()
                D.save_screenshot(shot)
                print("ok %d - %s" % (n, desc))
            except Exception:
                failed += 1
                try:
                    D.save_screenshot(shot)
                except Exception:
                    pass
                print("not ok %d - %s" % (n, desc))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
                print("# screenshot: %s" % shot)
            sys.stdout.flush()
    finally:
        D.quit()
    return 1 if failed else 0


@check
def jobs_list():
    """the jobs list shows each job with its counts"""
    D.get(URL + "/jobs")
    rows = D.find_elements(By.CSS_SELECTOR, "table#jobs tr[data-job]")
    assert [r.get_attribute("data-job") for r in rows] == ["j2", "j1"], \
        [r.get_attribute("data-job") for r in rows]
    def cells(row):
        return [row.find_element(By.CSS_SELECTOR, "td." + c).text.strip()
                for c in ("passed", "failed", "flaky", "skipped")]
    assert cells(rows[0]) == ["2", "1", "0", "0"], cells(rows[0])
    assert cells(rows[1]) == ["2", "0", "0", "0"], cells(rows[1])
    assert rows[0].find_element(By.CSS_SELECTOR, "td.status").get_attribute(
        "data-status") == "failed"


@check
def errors_tab():
    """a failed job's id opens its Errors tab; a test's output and its bundle"""
    D.get(URL + "/jobs")
    D.find_element(By.CSS_SELECTOR,
                   'tr[data-job="j2"] a.job-link').click()
    wait_for(lambda: "/jobs/j2" in D.current_url)
    tab = D.find_element(By.CSS_SELECTOR, "nav.tabs a[data-tab=errors]")
    assert "active" in tab.get_attribute("class"), tab.get_attribute("class")
    item = D.find_element(By.CSS_SELECTOR,
                          'section#errors li[data-test="t/cases"]')
    assert "b" in item.text, item.text
    item.find_element(By.CSS_SELECTOR, "a.show-logs").click()
    log = wait_for(lambda: D.find_elements(By.CSS_SELECTOR, "pre.log"))
    assert log and "the widget broke" in log[0].text, log and log[0].text
    bundle = D.find_element(By.CSS_SELECTOR, "a.bundle")
    span = bundle.get_attribute("href").split("/spans/")[1].split("/")[0]
    bundle.click()
    done = wait_for(lambda: [f for f in os.listdir(DOWN)
                             if f.endswith(".tar.gz")], 15)
    assert done, os.listdir(DOWN)
    with tarfile.open(os.path.join(DOWN, done[0])) as t:
        names = sorted(m.name.split("/", 1)[-1] for m in t.getmembers()
                       if m.isfile())
    # The same files as zb span-logs puts in its bundle.
    zbt = os.path.join(TMP, "zb.tar.gz")
    subprocess.run(["zb", "span-logs", span, "-o", zbt], check=True,
                   env=dict(ENV, DAGZ_URL=URL, DAGZ_HOME=HOME),
                   capture_output=True)
    with tarfile.open(zbt) as t:
        want = sorted(m.name.split("/", 1)[-1] for m in t.getmembers()
                      if m.isfile())
    assert names == want, (names, want)


@check
def xss():
    """a test named <img src=x onerror=alert(1)> renders as text, runs nothing"""
    D.get(URL + "/jobs/j2?tab=tests")
    cell = wait_for(lambda: [e for e in D.find_elements(
        By.CSS_SELECTOR, "[data-test]") if e.get_attribute("data-test") ==
        XSS])
    assert cell, "no row for the test"
    assert XSS in D.find_element(By.TAG_NAME, "body").text
    assert not D.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
    assert no_alert(D), "an alert ran"


@check
def timeline():
    """the timeline has one row per worker and a bar per attempt"""
    D.get(URL + "/jobs/j2?tab=timeline")
    rows = D.find_elements(By.CSS_SELECTOR, "svg#timeline g.worker")
    bars = D.find_elements(By.CSS_SELECTOR,
                           "svg#timeline g.worker rect.attempt")
    assert len(rows) == 2, len(rows)
    assert len(bars) == 3, len(bars)


@check
def live_chips():
    """a running job's chips change colour without a reload"""
    slow = manifest("slow.ndjson", [
        '{"id": "s%d", "sh": "sleep 1.5; exit %d"}' % (i, i == 3)
        for i in range(1, 5)])
    p = dagz_run(URL, HOME, slow, "-j", "2", wait=False)
    try:
        page = wait_for(lambda: D.get(URL + "/jobs/j3") or
                        D.find_elements(By.CSS_SELECTOR, "span.chip"), 10)
        assert page, "no chips"
        D.execute_script("window.dagzMarker = 42;")
        chips = D.find_elements(By.CSS_SELECTOR, "span.chip")
        assert len(chips) == 4, len(chips)
        assert any(c.get_attribute("data-status") in ("", "pending",
                   "running") for c in chips), \
            [c.get_attribute("data-status") for c in chips]

        def states():
            return sorted(c.get_attribute("data-status") for c in
                          D.find_elements(By.CSS_SELECTOR, "span.chip"))
        final = wait_for(lambda: states() == ["FAILED", "OK", "OK", "OK"],
                         20)
        assert final, states()
        assert D.execute_script("return window.dagzMarker;") == 42, \
            "the page reloaded"
    finally:
        p.wait(30)


@check
def token():
    """a token-protected dagzd: pages refuse without it, work with it"""
    D.delete_all_cookies()
    D.get(TURL + "/jobs")
    assert not D.find_elements(By.CSS_SELECTOR, "table#jobs"), \
        "the jobs list without the token"
    form = D.find_element(By.CSS_SELECTOR, "form#login")
    form.find_element(By.CSS_SELECTOR, "input[name=token]").send_keys(
        "wrong")
    form.submit()
    assert not D.find_elements(By.CSS_SELECTOR, "table#jobs")
    form = D.find_element(By.CSS_SELECTOR, "form#login")
    form.find_element(By.CSS_SELECTOR, "input[name=token]").send_keys(
        "s3cret-token-of-the-store-0123456789")
    form.submit()
    assert wait_for(lambda: D.find_elements(By.CSS_SELECTOR, "table#jobs"))
    assert "s3cret" not in D.current_url


if __name__ == "__main__":
    rc = 1
    try:
        rc = main()
    finally:
        for p in daemons:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(rc)
