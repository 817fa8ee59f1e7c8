import assistant


def test_exported_members_are_exactly_the_public_api() -> None:
    assert assistant.__all__ == sorted(assistant.__all__)
    exported = {name for name in dir(assistant) if not name.startswith("_")}
    modules = {name for name in exported if type(getattr(assistant, name)).__name__ == "module"}
    assert exported - modules == set(assistant.__all__)
