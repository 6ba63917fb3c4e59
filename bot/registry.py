"""The messengers pmbot knows: name (its config section) -> its package under `bot/`.

A messenger package exposes `create_adapter(deps, **options)` (importing its SDK lazily) and a
`config` module with a pydantic `Settings` section that has `enabled`. Adding a messenger is its
package plus one line here; nothing else in the code changes. This module imports nothing, so
reading the configuration stays cheap.
"""

MESSENGERS: dict[str, str] = {
    "slack": "bot.slack",
    "feishu": "bot.feishu",
}
