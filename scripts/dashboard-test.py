#!/usr/bin/python3
"""The dashboard in a real headless Chromium against the built binary: nothing shows without signing in, a form
without its CSRF token is refused, the API token signs in, the overview shows the rollout, its page draws the
breaker's mark live when an alert is posted (no reload), the Roll back button with a reason rolls back, and the
journal names the reader. Saves the README's screenshots. Uses Debian's chromium, chromium-driver and
python3-selenium (hence /usr/bin/python3).

Usage: dashboard-test.py PATH-TO-COALMINE SCREENSHOT-DIRECTORY
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary, screenshots = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
work = tempfile.mkdtemp(prefix="coalmine-dashboard-")
failures = []


def check(what, condition, detail=""):
    print(f"  {'ok  ' if condition else 'FAIL'} {what}" + (f": {detail}" if detail and not condition else ""))
    if not condition:
        failures.append(what)


def request(method, path, body=None, headers=None):
    """An HTTP request that returns (status, text) for any answer, without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    data = body.encode() if isinstance(body, str) else body
    try:
        with opener.open(urllib.request.Request(base + path, data=data, method=method, headers=headers or {}), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


port = (lambda s: (s.bind(("127.0.0.1", 0)), s.getsockname()[1], s.close())[1])(socket.socket())
base = f"http://127.0.0.1:{port}"
with open(os.path.join(REPO, "config/coalmine.yaml")) as f:
    config = f.read().replace("127.0.0.1:9095", f"127.0.0.1:{port}").replace('"data/', f'"{work}/data/')
with open(os.path.join(work, "coalmine.yaml"), "w") as f:
    f.write(config)
log = open(os.path.join(work, "serve.log"), "wb")
server = subprocess.Popen([binary, "serve", "--config", os.path.join(work, "coalmine.yaml")], stdout=log, stderr=log)
driver = None
try:
    for _ in range(200):
        try:
            if request("GET", "/readyz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.05)
    secret = lambda name: open(os.path.join(work, "data", name)).read().strip()
    api = {"Authorization": f"Bearer {secret('api-token')}", "Content-Type": "application/json"}
    status, _ = request("POST", "/api/v1/rollouts/tf-model-service/start",
                        json.dumps({"actor": "release-bot", "canaryVersion": "2.13.0-gpu", "stableVersion": "2.12.0"}), api)
    check("a rollout is started through the API", status == 200)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    wait = WebDriverWait(driver, 10)

    driver.get(base + "/rollouts/tf-model-service")
    check("without signing in, a rollout's page is the login page", driver.current_url.endswith("/login"), driver.current_url)
    check("and names no rollout", "tf-model-service" not in driver.page_source)

    driver.find_element(By.ID, "name").send_keys("Alice")
    driver.find_element(By.ID, "token").send_keys(secret("api-token"))
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".rollouts .card")))
    card = driver.find_element(By.CSS_SELECTOR, '.card[data-rollout="tf-model-service"]')
    check("signed in, the overview shows the rollout observing at 5 %",
          "observing" in card.text and "canary 5 %" in card.text, card.text)
    os.makedirs(screenshots, exist_ok=True)
    driver.save_screenshot(os.path.join(screenshots, "dashboard-overview.png"))

    cookie = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    status, body = request("POST", "/rollouts/tf-model-service/actions/rollback", "reason=no+token",
                           {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    check("a form POST without the CSRF token is refused", status == 403, f"{status} {body[:120]}")

    driver.find_element(By.LINK_TEXT, "tf-model-service").click()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg.chart")))
    driver.execute_script("window.coalmineNotReloaded = true;")
    check("the rollout page draws the weight chart with no alert mark yet",
          not driver.find_elements(By.CSS_SELECTOR, "g.mark.firing"))

    alert = open(os.path.join(REPO, "config/examples/breaker-firing.json")).read()
    posted = time.monotonic()
    status, _ = request("POST", "/hooks/alertmanager", alert,
                        {"Authorization": f"Bearer {secret('webhook-token')}", "Content-Type": "application/json"})
    check("the breaker alert is taken", status == 200)
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "g.mark.firing.breaker")))
    shown_after = time.monotonic() - posted
    check("the breaker's mark appears without a reload",
          driver.execute_script("return window.coalmineNotReloaded === true;"))
    print(f"       (shown {shown_after:.2f} s after the webhook was answered)")
    mark = driver.find_element(By.CSS_SELECTOR, "g.mark.firing.breaker")
    check("the mark names the alert for hover and focus",
          (mark.get_attribute("aria-label") or "").startswith("CoalmineCanaryErrorRatioHigh firing (breaker)"))
    check("the badge says a human is awaited", "awaiting-human (breaker)" in driver.find_element(By.CSS_SELECTOR, ".badge").text)
    driver.save_screenshot(os.path.join(screenshots, "dashboard-rollout.png"))

    driver.find_element(By.CSS_SELECTOR, "a.rollback").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "reason")))
    driver.find_element(By.ID, "reason").send_keys("5xx on v2 after the upgrade")
    driver.find_element(By.CSS_SELECTOR, "form button.rollback").click()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "g.mark.decision")))
    wait.until(lambda d: "rolled-back" in d.find_element(By.CSS_SELECTOR, ".badge").text)
    check("after the button, the rollout is rolled back", "rolled-back" in driver.find_element(By.CSS_SELECTOR, ".badge").text)
    decisions = [m.get_attribute("aria-label") for m in driver.find_elements(By.CSS_SELECTOR, "g.mark.decision")]
    check("the chart marks the decision with its actor",
          any(label.startswith("rollback by dashboard:Alice: 5xx on v2") for label in decisions), decisions)
    check("the chart's line is back at 0 %", driver.find_element(By.CSS_SELECTOR, "polyline.weight") is not None)
    status, body = request("GET", "/api/v1/rollouts/tf-model-service/history", headers=api)
    actors = [e["body"].get("actor") for e in json.loads(body)["entries"] if e["kind"] == "human-action"]
    check("the journal names the reader as the actor", "dashboard:Alice" in actors, actors)

    # The same page at phone width, for on-call.
    driver.set_window_size(390, 844)
    driver.refresh()
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "svg.chart")))
    width = driver.execute_script("return document.documentElement.scrollWidth;")
    wide = driver.execute_script(
        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className.baseVal + e.className);")
    check("at phone width nothing scrolls sideways", width <= 390 + 1, f"{width}: {wide}")
    driver.save_screenshot(os.path.join(screenshots, "dashboard-phone.png"))
finally:
    if driver:
        driver.quit()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=20)
    if failures:
        print(open(os.path.join(work, "serve.log")).read()[-3000:])
    shutil.rmtree(work, ignore_errors=True)

print(f"dashboard: {len(failures)} failed")
sys.exit(1 if failures else 0)
