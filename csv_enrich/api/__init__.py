"""The Cleanlist client: the wire format (`wire`, and `legacy_wire` for the legacy bulk API), the
pacer (`pacer`), which calls are retried and when (`retry`), and the calls with the error contract
(`client`, with the legacy API's calls in `legacy_calls`). The only package that speaks HTTP."""

from csv_enrich.api.client import CleanlistClient, ClientStats, make_http_client
from csv_enrich.api.pacer import Pacer

__all__ = ["CleanlistClient", "ClientStats", "Pacer", "make_http_client"]
