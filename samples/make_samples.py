"""Regenerate samples/leads.csv, samples/leads.xlsx and samples/companies.csv (invented data).

    python samples/make_samples.py

leads.*: 25 people of a typical CRM export. Identifier kinds: email only, LinkedIn only (several
URL forms), name + company, name + website; a duplicate (row 7 = row 2 by email, other casing);
invalid rows (no identifier, a name without a company, a malformed email, a LinkedIn company page).
The XLSX keeps the phone as a number cell and has a second sheet ("Notes") that must be carried over.
"""

from __future__ import annotations

import csv
from pathlib import Path

HEADERS = ["First Name", "Last Name", "Email", "Company", "Website", "LinkedIn URL", "Job Title",
           "Phone", "Lead Source"]
LEADS = [
    ["Jane", "Doe", "jane.doe@acmeanalytics.io", "Acme Analytics", "", "", "VP Sales", "", "Webinar"],
    ["Marcus", "Reyes", "marcus@brightpath.co", "", "", "", "", "", "Trade show"],
    ["Priya", "Natarajan", "", "Northwind Logistics", "https://www.northwindlogistics.com", "", "Head of Ops", "", "Referral"],
    ["", "", "", "", "", "linkedin.com/in/tomas-lindqvist", "", "", "Sales Navigator"],
    ["Aisha", "Bello", "", "", "", "https://uk.linkedin.com/in/aishabello/?originalSubdomain=uk", "", "", "Sales Navigator"],
    ["Chen", "Wei", "", "Lumen Robotics", "", "", "CTO", "", "Event"],
    ["Marcus", "Reyes", "Marcus@BrightPath.co", "BrightPath", "", "", "Founder", "", "Inbound"],
    ["Olivia", "Martin", "olivia.martin@harborfintech.com", "Harbor Fintech", "harborfintech.com", "", "CFO", "14155550123", "Webinar"],
    ["Lukas", "Schmidt", "", "", "https://kranich-software.de/team", "", "", "", "Event"],
    ["Sofia", "Rossi", "mailto:sofia.rossi@vela-design.it", "Vela Design", "", "", "", "", "Inbound"],
    ["Noah", "Kim", "Noah Kim <noah.kim@pinecone-labs.dev>", "", "", "", "", "", "Referral"],
    ["Emma", "", "", "Granite Health", "", "", "", "", "Event"],
    ["", "", "", "", "", "", "", "", "Trade show"],
    ["Diego", "Alvarez", "diego.alvarez@@solstice.mx", "", "", "", "", "", "Inbound"],
    ["", "", "", "", "", "https://www.linkedin.com/company/acme-analytics", "", "", "Sales Navigator"],
    ["Hannah", "Okafor", "hannah@quillstack.com", "Quillstack", "", "", "Growth Lead", "", "Webinar"],
    ["Ravi", "Kapoor", "", "Tidewater Energy", "", "", "", "", "Event"],
    ["Mia", "Johansson", "", "", "", "https://www.linkedin.com/in/mia-johansson-4b21a", "", "", "Sales Navigator"],
    ["Ethan", "Brooks", "ethan.brooks@cobaltcloud.io", "Cobalt Cloud", "", "", "", "", "Inbound"],
    ["Yuki", "Tanaka", "", "Sakura Mobility", "sakuramobility.jp", "", "", "", "Event"],
    ["Grace", "Liu", "grace.liu@meridianbio.com", "", "", "", "Research Director", "", "Referral"],
    ["Omar", "Haddad", "", "", "", "http://linkedin.com/in/omarhaddad", "", "", "Sales Navigator"],
    ["Chloe", "Dubois", "chloe.dubois@atelier-nord.fr", "Atelier Nord", "", "", "", "", "Webinar"],
    ["Ben", "Carter", "", "Foxglove Media", "", "", "Editor", "", "Event"],
    ["Isabel", "Moreno", "isabel.moreno@lattice-hr.com", "Lattice HR", "", "", "", "", "Inbound"],
]
COMPANIES = [
    ["Company", "Website", "Ticker", "Owner"],
    ["Acme Analytics", "acmeanalytics.io", "", "Jane"],
    ["Northwind Logistics", "https://www.northwindlogistics.com/about", "", "Priya"],
    ["Harbor Fintech", "harborfintech.com", "", "Olivia"],
    ["Stripe", "stripe.com", "", "Marcus"],
    ["", "", "", "Nobody"],
    ["Lumen Robotics", "", "", "Chen"],
    ["Apple", "", "AAPL", "Tim"],
    ["Unknown Widgets", "unknown-widgets-nowhere.example", "", "Sam"],
]


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def write_xlsx(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("Leads")
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, HEADERS, bold)
    for r, row in enumerate(LEADS, start=1):
        for c, value in enumerate(row):
            if HEADERS[c] == "Phone" and value.isdigit():
                ws.write_number(r, c, int(value))  # as Excel users store phones: a number
            elif value:
                ws.write_string(r, c, value)
    notes = wb.add_worksheet("Notes")
    notes.write_string(0, 0, "Exported from the CRM on 2026-11-20 for the Q4 campaign.")
    wb.close()


def main() -> None:
    here = Path(__file__).parent
    write_csv(here / "leads.csv", [HEADERS, *LEADS])
    write_xlsx(here / "leads.xlsx")
    write_csv(here / "companies.csv", COMPANIES)


if __name__ == "__main__":
    main()
