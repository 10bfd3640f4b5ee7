"""The Cleanlist client: the wire format (`wire`, and `legacy_wire` for the legacy bulk API), the
pacer (`pacer`), which calls are retried and when (`retry`), and the calls with the error contract
(`client`, with the legacy API's calls in `legacy_calls`). The only package that speaks HTTP.

Importing the package is light (no httpx): `estimate` needs the API's limits (`limits`), not
its client nor the wire format.
Import the client from `csv_enrich.api.client`."""

from csv_enrich.api.limits import MAX_CONTACTS, MAX_ROWS, can_take

__all__ = ["MAX_CONTACTS", "MAX_ROWS", "can_take"]
