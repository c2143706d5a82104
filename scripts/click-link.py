#!/usr/bin/python3
"""Opens a Coalmine action link in headless Chromium, checks the confirmation page, clicks its button and checks
the result page: what a person does from a chat message. Uses Debian's chromium, chromium-driver and
python3-selenium (hence /usr/bin/python3).

Usage: click-link.py URL EXPECTED-HEADING SCREENSHOT-PREFIX
"""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

url, expected_heading, prefix = sys.argv[1:4]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,700"):
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.set_page_load_timeout(20)
    driver.get(url)
    heading = driver.find_element(By.TAG_NAME, "h1").text
    if heading != expected_heading:
        sys.exit(f"confirmation page heading is {heading!r}, expected {expected_heading!r}")
    driver.save_screenshot(f"{prefix}-confirm.png")
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    WebDriverWait(driver, 20).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Done"))
    driver.save_screenshot(f"{prefix}-done.png")
    print(driver.find_element(By.TAG_NAME, "h1").text)
finally:
    driver.quit()
