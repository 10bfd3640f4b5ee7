"""The Cleanlist client: the wire format (`wire`), the pacer (`pacer`), retries and the error
contract (`client`). The only package that speaks HTTP."""

from csv_enrich.api.client import CleanlistClient, ClientStats, make_http_client
from csv_enrich.api.pacer import Pacer

__all__ = ["CleanlistClient", "ClientStats", "Pacer", "make_http_client"]
