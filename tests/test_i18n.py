"""Four languages (issue 13 §6): how a page's language is chosen, the switcher, the pages in
French, Spanish and Arabic, the visible English fallback of framework labels, and catalogs
that hold every marked string."""

from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import i18n
from app.dashboard import labels
from app.dashboard.rendering import LANGUAGE_COOKIE
from app.i18n import catalogs
from app.models import User
from tests.factories import World
from tests.test_accounts import invite
from tests.test_dashboard import assert_page, csrf_of, find, sign_in, text_of

ROOT = Path(__file__).resolve().parent.parent
OTHER_LANGUAGES = ("fr", "es", "ar")
# A sentence of each page, per language (the English in the templates).
EXPECTED = {
    "fr": {
        "/": "Vos situations",
        "situation": "Avancement par pilier",
        "item": "Texte de l\u2019annexe I",
        "review": "File d\u2019examen",
        "/signin": "Se connecter",
        "invitation": "Choisissez votre mot de passe",
        "missing": "Introuvable",
    },
    "es": {
        "/": "Sus situaciones",
        "situation": "Avance por pilar",
        "item": "Texto del anexo I",
        "review": "Cola de revisión",
        "/signin": "Iniciar sesión",
        "invitation": "Elija su contraseña",
        "missing": "No encontrado",
    },
    "ar": {
        "/": "حالاتك",
        "situation": "التقدم حسب الركيزة",
        "item": "نص المرفق الأول",
        "review": "قائمة انتظار المراجعة",
        "/signin": "تسجيل الدخول",
        "invitation": "اختر كلمة المرور",
        "missing": "غير موجود",
    },
}


def html_tag(html: str) -> dict[str, str]:
    [tag] = find(html, "html")
    return tag


class TestNegotiation:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (None, "en"),
            ("", "en"),
            ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
            ("de-DE,de;q=0.9,es;q=0.5", "es"),
            ("en;q=0.2, ar-SA;q=0.9", "ar"),
            ("ar;q=0, fr;q=0.1", "fr"),
            ("de, it", "en"),
            ("*", "en"),
            ("fr;q=oops, es", "es"),
        ],
    )
    def test_accept_language(self, header: str | None, expected: str) -> None:
        assert catalogs.negotiate(preference=None, cookie=None, header=header) == expected

    def test_preference_then_cookie_then_browser(self) -> None:
        choose = catalogs.negotiate
        assert choose(preference="ar", cookie="fr", header="es") == "ar"
        assert choose(preference=None, cookie="fr", header="es") == "fr"
        assert choose(preference="xx", cookie="zz", header="es") == "es"

    def test_browser_language_without_a_choice(self, client: TestClient) -> None:
        html = client.get("/signin", headers={"Accept-Language": "es-MX,es;q=0.9"}).text
        assert html_tag(html) == {"lang": "es", "dir": "ltr"}
        assert "Iniciar sesión" in html

    def test_cookie_beats_the_browser(self, client: TestClient) -> None:
        client.cookies.set(LANGUAGE_COOKIE, "ar")
        response = client.get("/signin", headers={"Accept-Language": "fr"})
        assert html_tag(response.text) == {"lang": "ar", "dir": "rtl"}
        assert response.headers["content-language"] == "ar"

    def test_preference_beats_cookie_and_browser(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        world.users["viewer"].language = "fr"
        db.flush()
        sign_in(client, world, "viewer")
        client.cookies.set(LANGUAGE_COOKIE, "es")
        html = client.get("/", headers={"Accept-Language": "ar"}).text
        assert html_tag(html)["lang"] == "fr"
        assert "Vos situations" in html

    def test_gettext_outside_a_request_is_english(self) -> None:
        assert i18n.current() == "en"
        assert i18n.gettext("Sign in") == "Sign in"
        with i18n.use("fr"):
            assert i18n.gettext("Sign in") == "Se connecter"
            i18n.settle("es")
            assert i18n.gettext("Sign in") == "Iniciar sesión"
        i18n.settle("ar")  # no request: nothing to settle
        assert i18n.current() == "en"


class TestSwitcher:
    def test_every_page_has_the_switcher(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        for path in ["/", f"/situations/{world.s1.id}", f"/situations/{world.s1.id}/items/99z"]:
            html = client.get(path).text
            [form] = find(html, "form", action="/language")
            assert form["method"] == "post"
            values = {b["value"] for b in find(html, "button", name="language")}
            assert values == set(i18n.LANGUAGES)
        client.cookies.clear()
        assert find(client.get("/signin").text, "form", action="/language")

    def test_signed_out_choice_goes_in_a_cookie(self, client: TestClient) -> None:
        response = client.post(
            "/language", data={"language": "es", "next": "/signin?next=/"}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=/"
        assert "crrf_language=es" in response.headers["set-cookie"]
        assert html_tag(client.get("/signin").text)["lang"] == "es"

    def test_signed_in_choice_is_saved_on_the_user(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "partner_a")
        response = client.post(
            "/language",
            data={"language": "ar", "next": "/", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        db.expire_all()
        assert db.get(User, world.users["partner_a"].id).language == "ar"  # type: ignore[union-attr]
        client.cookies.delete(LANGUAGE_COOKIE)  # the preference follows the user
        assert html_tag(client.get("/").text) == {"lang": "ar", "dir": "rtl"}

    def test_signing_in_brings_the_preference_to_the_browser(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        world.users["viewer"].language = "es"
        db.flush()
        path = invite(client, world, "viewer")
        password = "a long enough passphrase for the viewer"
        client.post(path, data={"password": password, "confirm": password})
        response = client.post(
            "/signin",
            data={"email": world.users["viewer"].email, "password": password},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert client.cookies.get(LANGUAGE_COOKIE) == "es"

    def test_a_signed_in_choice_needs_the_csrf_token(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "partner_a")
        response = client.post("/language", data={"language": "fr", "next": "/"})
        assert_page(response, 403)
        db.expire_all()
        assert db.get(User, world.users["partner_a"].id).language is None  # type: ignore[union-attr]

    @pytest.mark.parametrize("language", ["", "de", "fr-FR" * 3])
    def test_unknown_languages_are_refused(self, client: TestClient, language: str) -> None:
        response = client.post("/language", data={"language": language, "next": "/"})
        assert response.status_code == 422
        assert "set-cookie" not in response.headers

    def test_next_stays_on_this_site(self, client: TestClient) -> None:
        response = client.post(
            "/language",
            data={"language": "fr", "next": "https://evil.example/"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"

    def test_the_api_exposes_the_preference(self, client: TestClient, world: World) -> None:
        url = f"/api/v1/users/{world.users['viewer'].id}"
        response = client.patch(url, json={"language": "ar"}, headers=world.headers("admin"))
        assert response.status_code == 200
        assert response.json()["language"] == "ar"
        response = client.patch(url, json={"language": "de"}, headers=world.headers("admin"))
        assert response.status_code == 422


class TestTranslatedPages:
    def paths(self, client: TestClient, world: World) -> dict[str, str]:
        sid = world.s1.id
        return {
            "/": "/",
            "situation": f"/situations/{sid}",
            "item": f"/situations/{sid}/items/5a",
            "review": f"/situations/{sid}/review",
            "missing": f"/situations/{sid}/items/99z",
        }

    @pytest.mark.parametrize("language", OTHER_LANGUAGES)
    def test_signed_in_pages(
        self, client: TestClient, world: World, db: Session, language: str
    ) -> None:
        world.users["coordinator"].language = language
        db.flush()
        sign_in(client, world, "coordinator")
        for page, path in self.paths(client, world).items():
            html = client.get(path).text
            tag = html_tag(html)
            assert tag["lang"] == language
            assert tag["dir"] == ("rtl" if language == "ar" else "ltr")
            assert EXPECTED[language][page] in html, (language, page)
            assert "Skip to main content" not in html

    @pytest.mark.parametrize("language", OTHER_LANGUAGES)
    def test_signed_out_pages(self, client: TestClient, world: World, language: str) -> None:
        client.cookies.set(LANGUAGE_COOKIE, language)
        html = client.get("/signin").text
        assert EXPECTED[language]["/signin"] in text_of(html)
        html = client.get(invite(client, world, "viewer")).text
        assert EXPECTED[language]["invitation"] in html
        assert html_tag(html)["dir"] == ("rtl" if language == "ar" else "ltr")

    def test_messages_from_python_are_translated(self, client: TestClient, world: World) -> None:
        client.cookies.set(LANGUAGE_COOKIE, "fr")
        response = client.post("/signin", data={"email": "nobody@example.org", "password": "x"})
        assert "ne correspondent à aucun compte" in response.text
        sign_in(client, world, "coordinator")
        update = world.updates["own"].id
        response = client.post(
            f"/situations/{world.s1.id}/review/{update}",
            data={"decision": "return", "comment": "", "csrf_token": csrf_of(client)},
        )
        assert "rédigez un commentaire" in response.text

    def test_labels_and_dates_follow_the_language(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        client.cookies.set(LANGUAGE_COOKIE, "es")
        html = client.get(f"/situations/{world.s1.id}").text
        assert "No iniciado" in html and "Recepción y admisión" in html
        html = client.get(f"/situations/{world.s1.id}/review").text
        english_months = ("Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ")
        assert not any(month in html for month in english_months)

    def test_codes_stay_left_to_right(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        client.cookies.set(LANGUAGE_COOKIE, "ar")
        html = client.get(f"/situations/{world.s1.id}").text
        assert "<bdi>5a</bdi>" in html


class TestFallback:
    def test_arabic_pages_show_the_arabic_labels(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        client.cookies.set(LANGUAGE_COOKIE, "ar")
        html = client.get(f"/situations/{world.s1.id}").text
        [option] = find(html, "option", value="reception")
        assert "lang" not in option
        assert "الاستقبال والقبول" in html
        assert 'class="untranslated"' not in html

    def test_translated_labels_are_not_marked(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        client.cookies.set(LANGUAGE_COOKIE, "fr")
        html = client.get(f"/situations/{world.s1.id}").text
        [option] = find(html, "option", value="reception")
        assert "lang" not in option
        assert "Accueil et admission" in html
        item = client.get(f"/situations/{world.s1.id}/items/5a").text
        assert "Identification et accueil sûr et digne" in item
        assert 'class="untranslated"' not in item

    def test_a_label_missing_in_the_language_is_marked_english(self) -> None:
        with i18n.use("ar"):
            shown = labels.framework({"en": "Reception and admission"})
        assert str(shown.__html__()) == (
            '<span lang="en" class="untranslated">Reception and admission</span>'
        )

    def test_english_pages_mark_nothing(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        html = client.get(f"/situations/{world.s1.id}").text
        assert 'class="untranslated"' not in html


@cache
def marked_strings() -> frozenset[str | tuple[str, ...]]:
    """Every string marked for translation in the code and the templates (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str | tuple[str, ...]] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message)
    return frozenset(found)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_catalogs_hold_every_marked_string(language: str) -> None:
    """Run `make messages` and translate what it adds when this fails."""
    with catalogs.po_path(language).open("rb") as source:
        catalog = read_po(source)
    translated = {
        message.id
        for message in catalog
        if message.id
        and not message.fuzzy
        and all(message.string if isinstance(message.string, tuple) else [message.string])
    }
    wanted = marked_strings()
    assert len(wanted) > 150
    assert sorted(map(str, wanted - translated)) == []
    assert [(message.id, errors) for message, errors in catalog.check()] == []
