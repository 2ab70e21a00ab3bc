"""How people talk to the bot: one module per feature, the gatekeeper, keyboards."""
