"""A new engineer reads the wiring on one page (backend/domains.py) and trusts it: every import
between domains is one the importing domain declared, and no two domains lean on each other."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.domains import DECLARED, DOMAINS, Domain, ordered

BACKEND = Path(__file__).resolve().parents[2] / "backend"
DOMAIN_NAMES = {d.name for d in DECLARED}
# Modules that put the domains together: they may import any domain.
WIRING = {
    "app",
    "runtime",
    "cli",
    "jobs",
    "migrations",
    "domains",
    "handoffs",
    "serving",
    "demo",
    "demo_cast",
    "demo_media",
    "demo_steps",
    "demo_story",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(BACKEND.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every module `path` imports, at the top or inside a function (a lazy import is an import)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from backend import cases` imports the package
                yield node.lineno, f"{base}.{alias.name}"


def top_part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "backend" and len(parts) > 1 else None


def imports_between_domains() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) domain pairs, each with where it happens."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(BACKEND.rglob("*.py")):
        here = top_part(module_name(path))
        if here not in DOMAIN_NAMES:
            continue
        for line, module in imported_modules(path):
            there = top_part(module)
            if there in DOMAIN_NAMES and there != here:
                where = f"{path.relative_to(BACKEND.parent)}:{line} imports {module}"
                found.setdefault((here, there), []).append(where)
    return found


def test_every_package_under_backend_is_a_declared_domain() -> None:
    packages = {p.parent.name for p in BACKEND.glob("*/__init__.py")}
    assert packages == DOMAIN_NAMES


# Imports against the declared direction that issue 14 had not undone yet. All are undone (an
# earlier domain that needs a later one's answer names the question and backend/handoffs.py
# connects the answer): the list stays so that a pair joining it is a visible, reviewed change.
NOT_YET_UNDONE: set[tuple[str, str]] = set()


def test_no_import_against_the_declared_direction_is_left() -> None:
    assert set() == NOT_YET_UNDONE


def test_a_domain_imports_only_the_domains_it_declared_it_uses() -> None:
    uses = {d.name: set(d.uses) for d in DECLARED}
    undeclared = {
        pair: where
        for pair, where in imports_between_domains().items()
        if pair[1] not in uses[pair[0]]
    }
    new = {
        f"{a} -> {b}": where for (a, b), where in undeclared.items() if (a, b) not in NOT_YET_UNDONE
    }
    assert new == {}, "declare the use in backend/domains.py, or import the other way round"
    assert NOT_YET_UNDONE - set(undeclared) == set(), "gone now: take them off NOT_YET_UNDONE"


def test_no_two_domains_import_each_other_but_the_listed_leftovers() -> None:
    pairs = set(imports_between_domains())
    both_ways = {(a, b) for a, b in pairs if (b, a) in pairs and a < b}
    assert both_ways <= {tuple(sorted(pair)) for pair in NOT_YET_UNDONE}


def test_modules_beside_the_domains_that_are_not_wiring_import_no_domain() -> None:
    # settings, errors, database, the calendar ...: anything may use them, so they use nothing.
    leaks = []
    for path in sorted(BACKEND.glob("*.py")):
        if path.stem in WIRING or path.stem == "__init__":
            continue
        leaks += [
            f"{path.name}:{line} imports {module}"
            for line, module in imported_modules(path)
            if top_part(module) in DOMAIN_NAMES
        ]
    assert leaks == []


def test_the_declared_uses_have_no_cycle_and_order_the_domains() -> None:
    position = {d.name: i for i, d in enumerate(DOMAINS)}
    for domain in DOMAINS:
        assert all(position[used] < position[domain.name] for used in domain.uses)
    assert len(DOMAINS) == len(DECLARED)


def test_a_cycle_in_the_declaration_is_refused() -> None:
    looping = (Domain("a", uses=("b",)), Domain("b", uses=("a",)))
    with pytest.raises(ValueError, match="cycle"):
        ordered(looping)
    with pytest.raises(ValueError, match="undeclared"):
        ordered((Domain("a", uses=("nowhere",)),))


def test_every_declared_part_exists() -> None:
    for domain in DECLARED:
        parts = [domain.tables, domain.migrations, domain.projection, domain.jobs, domain.commands]
        for part in [*parts, *domain.routes]:
            if part is not None:
                module = f"backend.{domain.name}.{part}"
                assert importlib.util.find_spec(module) is not None, module


def test_every_domain_module_the_wiring_used_to_find_by_name_is_declared() -> None:
    # The old discovery imported backend.<domain>.<part> when the file existed; the declaration
    # must not have lost one.
    for domain in DECLARED:
        for part in ("tables", "migrations", "projection", "jobs", "commands"):
            if (BACKEND / domain.name / f"{part}.py").exists():
                assert getattr(domain, part) == part, f"{domain.name}.{part}"
        if (BACKEND / domain.name / "routes.py").exists():
            assert "routes" in domain.routes, domain.name


def test_only_the_ledger_reads_its_entry_table() -> None:
    # Domains ask the ledger (backend/ledger/reads.py) for entries by what they mean; a module
    # outside backend/ledger/ that names the table or its Piccolo class is reading it raw.
    raw = []
    for path in sorted(BACKEND.rglob("*.py")):
        if path.is_relative_to(BACKEND / "ledger"):
            continue
        text = path.read_text(encoding="utf-8")
        for name in ("ledger_entry", "LedgerEntry"):
            for number, line in enumerate(text.splitlines(), 1):
                if name in line:
                    raw.append(f"{path.relative_to(BACKEND.parent)}:{number} names {name}")
    assert raw == [], "read entries through backend.ledger.reads (Ledger's read methods)"


def test_the_runtime_connects_every_answer_a_later_domain_gives_an_earlier_one() -> None:
    # Without these, access checks could not find a case, a party's copy request would never be
    # answered by the head's signature, and `casetrail verify` would stop re-running draws.
    import backend.runtime  # noqa: F401  (imports backend.handoffs)
    from backend.cases.facts import CASE_FACTS
    from backend.cases.random_draw import draw_claims
    from backend.identity.case_facts import case_facts
    from backend.identity.signatures import SIGNED_ANSWERS
    from backend.ledger.verify import CLAIM_CHECKS
    from backend.service.record_copies import REQUESTED, answer_after_signature, check_answer

    assert case_facts() is CASE_FACTS
    assert SIGNED_ANSWERS[REQUESTED].check is check_answer
    assert SIGNED_ANSWERS[REQUESTED].answer is answer_after_signature
    assert draw_claims in CLAIM_CHECKS
