"""A schema change never surprises a partner: `make check`'s diff (GraphQL Inspector, against the released
SDL) fails on a breaking change the changelog does not list with its migration, and passes an addition."""

from __future__ import annotations

from pathlib import Path

from scripts.schema_diff import diff
from tests.support import ROOT

RELEASED = ROOT / "schemas" / "gateway.released.graphql"
CURRENT = ROOT / "schemas" / "gateway.graphql"
CHANGELOG = ROOT / "CHANGELOG.md"
VIEWER = '  """The caller, from its API key; null for an anonymous call."""\n  viewer: Viewer\n'


def scratch(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_committed_schema_passes_against_the_released_one():
    result = diff(RELEASED, CURRENT, CHANGELOG)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_scratch_breaking_change_fails_and_names_what_broke(tmp_path):
    assert VIEWER in CURRENT.read_text()
    removed = scratch(tmp_path, "removed.graphql", CURRENT.read_text().replace(VIEWER, ""))
    result = diff(RELEASED, removed, CHANGELOG)
    assert result.returncode == 1
    assert "`Query.viewer`: Field 'viewer' was removed from object type 'Query'" in result.stderr, result.stderr


def test_an_additive_change_passes(tmp_path):
    added = CURRENT.read_text().replace(
        VIEWER,
        VIEWER + '\n  """When the API last changed, for a client that caches the schema."""\n  schemaDate: String\n',
    )
    result = diff(RELEASED, scratch(tmp_path, "added.graphql", added), CHANGELOG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Field schemaDate was added to object type Query" in result.stdout


def test_a_breaking_change_passes_only_once_the_changelog_lists_it_with_its_migration(tmp_path):
    removed = scratch(tmp_path, "removed.graphql", CURRENT.read_text().replace(VIEWER, ""))
    entry = "- `Query.viewer` is removed: no call needs it.\n"
    listed = CHANGELOG.read_text().replace("### Breaking\n\n", "### Breaking\n\n" + entry)
    assert diff(RELEASED, removed, scratch(tmp_path, "listed.md", listed)).returncode == 1
    migrated = listed.replace(entry, entry.rstrip() + " **Migration:** read the key's role from your own records.\n")
    result = diff(RELEASED, removed, scratch(tmp_path, "migrated.md", migrated))
    assert result.returncode == 0, result.stdout + result.stderr
