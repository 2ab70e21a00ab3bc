# ruff: noqa
"""Names the dead-code check (`vulture`, run by .ci/run) cannot see being used: they are
called or read by a framework, or kept on purpose. Reviewed; add a name only with its reason.
`vulture bot.py handlers models scheduler locales tests benchmarks tests/vulture_whitelist.py
--min-confidence 60` must print nothing."""

_ = object()

# logging: a filter rewrites the record's message
_.msg
# PTB: the application's type parameters; the rate limiter's hook
JobQueueT
_.process_request
# counters kept for a person reading the process in a debugger or a profile
_.dropped
_.beats
# tornado: the request handler's protocol
SUPPORTED_METHODS
_.data_received
_.write_error
_.set_extra_headers
# pydantic: model configuration and validators (called by pydantic)
model_config
_._known_level
_._http_url
_._proxy_scheme
_._token_shape
_._known_zone
_._known_locale
_._split_ids
_._split_waits
_._host_port
_._both_or_neither
_._url_shape
_._subdomains_for_s
_._https_url
_._known_tiles
# pydantic fields read from rows (kept with their row, shown in exports and tests)
auto_closed
matched_person_id
matched_at
# PyYAML: the dumper's signature and its resolver table
indentless
_.yaml_implicit_resolvers
# sqlite3 / aiosqlite, openpyxl: attributes the libraries read
_.row_factory
_.number_format
_.freeze_panes
_.creator
# pytest hooks and fixtures; http.server and html.parser callbacks in the test fakes
pytest_collection_modifyitems
pytestmark
# selenium: the browser's options it reads
_.binary_location
pytest_addoption
clean_env
_.daemon_threads
protocol_version
_.log_message
_.close_connection
do_GET
_.handle_starttag
_.handle_endtag
attrs
_._running
