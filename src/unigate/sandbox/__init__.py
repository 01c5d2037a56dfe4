"""Built-in sandboxes: local HTTP emulators of each CRM's real API.

`server.build_sandbox_app()` mounts every emulator it finds (`server.discover_emulators`) under
`/<integration name>`: a package `sandbox/<crm>/` or a module `sandbox/<crm>.py` exposing its
`base.Emulator` subclass as `EMULATOR`. `base`, `collection`, `server`, `spaces` and `_`-prefixed
modules are shared machinery, not emulators. Each emulator holds one data space per sandbox
credential, each a whole instance of its `Emulator` class (`spaces`).

A CRM package holds one module per resource plus what the resources share:

    sandbox/<crm>/__init__.py   class <Crm>Emulator(Emulator): name, oauth_profile, reset_state(),
                                resources = (Accounts, Contacts, ...)  # seeding order; EMULATOR
    sandbox/<crm>/common.py     auth, the CRM's error bodies, rate-limit headers, constants
    sandbox/<crm>/oauth.py      the vendor's OAuth profile (CRMs with OAuth)
    sandbox/<crm>/accounts.py   class Accounts(Resource): name = "accounts"; routes(), seed(count),
                                snapshot(); records in a `collection.Collection`

Adding contacts is `sandbox/<crm>/contacts.py` with `class Contacts(Resource)` (`name =
"contacts"`), listed after `Accounts` in `resources`: resources are seeded in that order, so its
`seed` can link contacts to `self.emulator.resource("accounts")`'s records. The control API then
shows them at `/__control/<crm>/records/contacts` and a reset reseeds them (docs/testing.md,
"Adding a resource to an emulator").
"""
