"""House style: a module that outgrows about 600 lines becomes a package (tests and
migrations aside); this keeps the limit from creeping back."""

from pathlib import Path

import rekisteri

LIMIT = 600


def test_no_module_of_the_register_is_over_600_lines():
    root = Path(rekisteri.__file__).parent
    too_long = {
        str(path.relative_to(root)): lines
        for path in root.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(root).parts)
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert too_long == {}
