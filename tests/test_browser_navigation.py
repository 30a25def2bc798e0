"""Getting around on a phone: without JavaScript the menu still reaches the login, the
registration and the language switch; a keyboard user can skip the menu."""

from .fixtures.browser import PHONE, check_page


def test_without_javascript_a_phone_reaches_login_register_and_the_language(new_context):
    page = new_context(viewport=PHONE, locale="tg", java_script_enabled=False).new_page()
    page.goto("/calls/")
    menu = page.get_by_role("navigation")
    menu.get_by_role("link", name="Ворид шудан").click()
    assert page.url.endswith("/auth/login")
    menu.get_by_role("link", name="Сабти ном").click()
    assert page.url.endswith("/auth/register")

    page.select_option("#locale-switch", "ru")
    page.get_by_role("button", name="Иваз кардан").click()
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.url.endswith("/auth/register")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(open_page):
    page = open_page(PHONE, "tg")
    page.goto("/calls/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.get_attribute("href") == "#content" and skip.is_visible()
    skip.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    check_page(page)
