"""The console in headless Chromium, driven by Selenium; run by tests/console_browser.rs.

Environment: CONSOLE_BASE (the server), CONSOLE_TOKEN, CONSOLE_FIXTURE (a dataset file the
server allows), CONSOLE_MODEL_URL (the Ollama stand-in, serving models "good" and "evil"),
CONSOLE_OUT (screenshots), CHROMIUM, CHROMEDRIVER; with CONSOLE_PULL=IMAGE, only the
images page's pull of IMAGE.

Prints one `RESULT {json}` line with what it saw; exits non-zero with the reason when a
check fails. Every wait is bounded.
"""

import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

BASE = os.environ["CONSOLE_BASE"]
TOKEN = os.environ["CONSOLE_TOKEN"]
FIXTURE = os.environ["CONSOLE_FIXTURE"]
MODEL_URL = os.environ["CONSOLE_MODEL_URL"]
OUT = os.environ["CONSOLE_OUT"]
result = {"steps": {}}
started = time.monotonic()


def step(name):
    result["steps"][name] = round(time.monotonic() - started, 2)
    print(f"[{result['steps'][name]:7.2f}s] {name}", flush=True)


def wait_for(what, fn, timeout=20.0):
    until = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < until:
        try:
            value = fn()
            if value:
                return value
        except Exception as e:  # the element is not there yet
            last_error = e
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def by_id(driver, id_):
    return driver.find_element(By.ID, id_)


def text_of(driver, id_):
    return by_id(driver, id_).get_attribute("textContent")


def go(driver, hash_):
    driver.execute_script("location.hash = arguments[0]", hash_)


def shot(driver, name):
    path = os.path.join(OUT, name + ".png")
    driver.save_screenshot(path)
    result.setdefault("screenshots", []).append(path)


def fill(driver, id_, value):
    e = by_id(driver, id_)
    e.clear()
    e.send_keys(value)


def run_code(driver, code):
    driver.execute_script("window.localevalEditor.setValue(arguments[0])", code)
    by_id(driver, "pg-run").click()


def start_eval(driver, models, wait=True):
    go(driver, "#/evals")
    wait_for("the evaluation form", lambda: by_id(driver, "ev-models"))
    fill(driver, "ev-models", models)
    fill(driver, "ev-dataset", "problems:" + FIXTURE)
    Select(by_id(driver, "ev-backend")).select_by_value("ollama")
    fill(driver, "ev-url", MODEL_URL)
    fill(driver, "ev-language", "python")
    fill(driver, "ev-samples", "1")
    fill(driver, "ev-k", "1")
    by_id(driver, "ev-start").click()
    run_id = wait_for(
        "the run's page",
        lambda: driver.execute_script("return location.hash").startswith("#/evals/run-")
        and driver.execute_script("return location.hash")[len("#/evals/"):],
    )
    if not wait:
        return run_id, []
    return run_id, wait_complete(driver)


def wait_complete(driver):
    seen = []

    def finished():
        percent = text_of(driver, "ev-percent")
        if not seen or seen[-1] != percent:
            seen.append(percent)
        return percent == "100%" and text_of(driver, "ev-status") == "complete"

    wait_for("the evaluation to reach 100%", finished, timeout=120)
    return seen


def main():
    os.makedirs(OUT, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1360,1000", "--disable-gpu", "--hide-scrollbars"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(10)
    step("browser started")
    try:
        scenario(driver)
    finally:
        driver.quit()


def login(driver):
    driver.get(BASE + "/")
    wait_for("the token form", lambda: by_id(driver, "login").is_displayed())
    by_id(driver, "token").send_keys(TOKEN)
    by_id(driver, "login-form").find_element(By.TAG_NAME, "button").click()
    wait_for("the playground's editor", lambda: driver.execute_script("return !!window.localevalEditor"))


def pull_scenario(driver, image):
    """Images: a pull from the page, its progress, the image in the store."""
    login(driver)
    go(driver, "#/images")
    wait_for("the image store", lambda: driver.find_elements(By.CSS_SELECTOR, "#im-list *"))
    fill(driver, "im-ref", image)
    by_id(driver, "im-pull").click()
    values = []

    def pulled():
        value = driver.execute_script("return document.getElementById('im-progress').value")
        if not values or values[-1] != value:
            values.append(value)
        return text_of(driver, "im-status").startswith("pulled ")

    wait_for("the pull to finish", pulled, timeout=60)
    result["pull_progress"] = values
    result["pull_status"] = text_of(driver, "im-status")
    result["pull_log"] = text_of(driver, "im-log")
    wait_for("the image in the store", lambda: image.split("/")[-1].split(":")[0] in text_of(driver, "im-list"))
    result["store_text"] = text_of(driver, "im-list")
    shot(driver, "images")
    step("image pulled")


def scenario(driver):
    if os.environ.get("CONSOLE_PULL"):
        return pull_scenario(driver, os.environ["CONSOLE_PULL"])
    # The token: asked for by the page, kept in sessionStorage.
    driver.get(BASE + "/")
    wait_for("the token form", lambda: by_id(driver, "login").is_displayed())
    by_id(driver, "token").send_keys(TOKEN)
    by_id(driver, "login-form").find_element(By.TAG_NAME, "button").click()
    wait_for("the playground's editor", lambda: driver.execute_script("return !!window.localevalEditor"))
    step("logged in")

    # Playground: output read from the page while the program still runs.
    run_code(driver, 'import time\nprint("first line", flush=True)\ntime.sleep(1.5)\nprint("second line")\n')
    wait_for("the first line streamed", lambda: "first line" in text_of(driver, "pg-stdout"))
    result["streamed_before_result"] = not driver.find_elements(By.ID, "pg-summary")
    check(result["streamed_before_result"], "the first line appeared only with the result")
    wait_for("the result", lambda: driver.find_elements(By.ID, "pg-summary"), timeout=30)
    result["playground_stdout"] = text_of(driver, "pg-stdout")
    result["playground_verdict"] = driver.find_element(By.CSS_SELECTOR, "#pg-summary .v").text
    check(result["playground_stdout"] == "first line\nsecond line\n", result["playground_stdout"])
    check(result["playground_verdict"] == "OK", result["playground_verdict"])
    step("playground ran a program")

    # XSS through program output: shown as text, nothing runs, no element is made.
    run_code(driver, (
        "import sys\n"
        "print('<img src=x onerror=\"window.__xss=1\">')\n"
        "sys.stderr.write('<script>window.__xss=2</script><img src=y onerror=\"window.__xss=3\">\\n')\n"
    ))
    wait_for("the XSS program's result",
             lambda: driver.find_elements(By.ID, "pg-summary") and "<img src=x" in text_of(driver, "pg-stdout"),
             timeout=30)
    result["xss_stdout"] = text_of(driver, "pg-stdout")
    result["xss_stderr"] = text_of(driver, "pg-stderr")
    check("<script>window.__xss=2</script>" in result["xss_stderr"], result["xss_stderr"])
    check(driver.execute_script("return document.querySelectorAll('img').length") == 0, "an img element was made")
    time.sleep(0.5)
    check(driver.execute_script("return window.__xss") is None, "a handler ran")
    driver.execute_script("window.localevalEditor.setValue(arguments[0])",
                          'name = input()\nfor i in range(3):\n    print(f"hello, {name} #{i}")\n')
    fill(driver, "pg-stdin", "console")
    by_id(driver, "pg-run").click()
    wait_for("hello", lambda: "hello, console #2" in text_of(driver, "pg-stdout"), timeout=30)
    shot(driver, "playground")
    step("program output stays text")

    # Executions: the history, filtered, one execution's full result.
    go(driver, "#/executions")
    wait_for("the history", lambda: driver.find_elements(By.CSS_SELECTOR, "#ex-list tbody tr"))
    Select(by_id(driver, "ex-verdict")).select_by_value("OK")
    wait_for("the filtered history",
             lambda: "3 executions" in text_of(driver, "ex-list"))
    shot(driver, "executions")
    driver.find_element(By.CSS_SELECTOR, "#ex-list tbody tr a").click()
    wait_for("an execution's result", lambda: "hello, console" in text_of(driver, "ex-stdout"))
    step("executions listed and filtered")

    # Evaluations: started from the form, progress to 100% over SSE, the report.
    run_id, percents = start_eval(driver, "good, evil")
    result["eval_run"] = run_id
    result["eval_percents"] = percents
    wait_for("the report frame", lambda: driver.find_elements(By.ID, "ev-report-frame"), timeout=30)
    shot(driver, "evaluation")
    step("evaluation reached 100%")
    frame = by_id(driver, "ev-report-frame")
    driver.switch_to.frame(frame)
    wait_for("the report", lambda: driver.find_elements(By.CSS_SELECTOR, "a[href^='#c-']"))
    found = None
    for link in driver.find_elements(By.CSS_SELECTOR, "a[href^='#c-']"):
        # Away from the report's sticky navigation bar, which would take the click.
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
        link.click()
        for pre in driver.find_elements(By.CSS_SELECTOR, "pre.stderr"):
            if pre.is_displayed() and "EVIL-STDERR" in pre.text:
                found = pre.text
                break
        if found:
            break
    check(found, "no failed sample's stderr in the report")
    result["report_stderr"] = found
    answers = [p.get_attribute("textContent") for p in driver.find_elements(By.CSS_SELECTOR, "pre.answer")]
    result["answer_shown"] = any("<script>window.__xss='answer'</script>" in a for a in answers)
    check(result["answer_shown"], "the model's answer is not shown as text in the report")
    result["report_scripts"] = len(driver.find_elements(By.TAG_NAME, "script"))
    result["report_imgs"] = len(driver.find_elements(By.TAG_NAME, "img"))
    check(result["report_scripts"] == 0 and result["report_imgs"] == 0, "markup from the answer became elements")
    driver.switch_to.default_content()
    driver.execute_script("arguments[0].scrollIntoView()", frame)
    shot(driver, "report")
    check(driver.execute_script("return window.__xss") is None, "a handler ran")
    step("failed sample's stderr found in the report")

    # Compare: a second run, then both runs side by side.
    second, _ = start_eval(driver, "good")
    go(driver, "#/evals")
    wait_for("both runs listed", lambda: len(driver.find_elements(By.CSS_SELECTOR, "input.ev-pick")) >= 2)
    picks = driver.find_elements(By.CSS_SELECTOR, "input.ev-pick")
    picks[0].click()
    picks[1].click()
    shot(driver, "evaluations")
    by_id(driver, "ev-compare").click()
    wait_for("the comparison", lambda: "solved in A, not in B" in driver.find_element(By.ID, "page").text)
    result["compare_text"] = driver.find_element(By.ID, "page").text
    check("pass@1" in result["compare_text"], result["compare_text"])
    shot(driver, "compare")
    step("runs compared")

    # Cancel and resume: a slow model's run, stopped from the page, then resumed to 100%.
    start_eval(driver, "slow", wait=False)
    wait_for("the run to start", lambda: text_of(driver, "ev-status") == "running")
    wait_for("the Cancel button", lambda: by_id(driver, "ev-cancel").is_enabled())
    by_id(driver, "ev-cancel").click()
    wait_for("the run to be cancelled", lambda: text_of(driver, "ev-status") == "cancelled", timeout=30)
    result["cancelled_at"] = text_of(driver, "ev-percent")
    check(result["cancelled_at"] != "100%", "the run finished before it was cancelled")
    wait_for("the Resume button", lambda: by_id(driver, "ev-resume").is_enabled())
    by_id(driver, "ev-resume").click()
    result["resumed_percents"] = wait_complete(driver)
    step("run cancelled and resumed")

    # Images and health.
    go(driver, "#/images")
    wait_for("the image store", lambda: driver.find_elements(By.CSS_SELECTOR, "#im-list *"))
    go(driver, "#/health")
    wait_for("health", lambda: text_of(driver, "hl-status") in ("healthy", "degraded"))
    wait_for("three throughput points", lambda: driver.execute_script(
        "return document.querySelectorAll('#hl-chart canvas').length") > 0, timeout=10)
    time.sleep(4.5)
    result["health_text"] = driver.find_element(By.ID, "page").text
    check("namespace:user" in result["health_text"], "isolation not shown")
    shot(driver, "health")
    step("images and health shown")

    # The token never went into a URL; nothing broke the Content-Security-Policy.
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])")
    result["urls_checked"] = len(urls)
    check(not [u for u in urls if TOKEN in u], "the token is in a URL")
    check(driver.execute_script("return document.cookie") == "", "a cookie was set")
    logs = driver.get_log("browser")
    result["csp_violations"] = [l["message"] for l in logs
                                if "Content Security Policy" in l["message"] or "Refused to" in l["message"]]
    result["console_errors"] = [l["message"] for l in logs if l["level"] == "SEVERE"]
    check(not result["csp_violations"], "CSP violations: %s" % result["csp_violations"])
    step("no token in URLs, no CSP violation")


if __name__ == "__main__":
    try:
        main()
        result["ok"] = True
    except Exception as e:  # reported to the Rust test
        result["ok"] = False
        result["error"] = f"{type(e).__name__}: {e}"
    print("RESULT " + json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)
