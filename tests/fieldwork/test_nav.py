"""The menu offers a page exactly to the roles the page serves: nobody is shown a link that answers 403."""

from __future__ import annotations

import pytest

from workflow_support import USERS

PAGES = ("/verval-lapangan", "/ganda", "/usulan", "/cari")


@pytest.mark.parametrize("who", sorted(k for k in USERS if not k.endswith("_out")))
def test_menu_matches_what_each_role_may_open(client_for, who):
    client = client_for(who)
    home = client.get("/").text
    for path in PAGES:
        shown = f'href="{path}"' in home
        status = client.get(path).status_code
        assert status in (200, 403), (who, path, status)
        assert shown == (status == 200), f"{who}: menu {'shows' if shown else 'hides'} {path}, page {status}"


def test_the_menu_really_differs_by_role(client_for):
    assert 'href="/ganda"' not in client_for("desa").get("/").text
    assert 'href="/ganda"' in client_for("kec").get("/").text
    assert 'href="/verval-lapangan"' in client_for("enum").get("/").text
