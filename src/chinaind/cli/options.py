"""The options several commands share, declared once: same spelling, same help everywhere."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from chinaind.cli import complete

FormatOpt = Annotated[Optional[str], typer.Option(
    "--format", "-f", metavar="FORMAT", autocompletion=complete.formats,
    help="table, tsv, csv, json, jsonl, yaml or ids. Default: $CHINAIND_FORMAT, else table on a terminal, tsv otherwise.")]
HeaderOpt = Annotated[bool, typer.Option(
    "--header", help="With tsv: a first line naming the columns (csv always has one). Names are the JSON field names.")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="From this date on (YYYY, YYYY-MM or YYYY-MM-DD), inclusive.")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", metavar="DATE", help="Up to this date (YYYY, YYYY-MM or YYYY-MM-DD), inclusive of its whole span.")]
SectorOpt = Annotated[Optional[str], typer.Option("--sector", "-s", metavar="SECTOR", autocompletion=complete.names("sector"), help="Only records in this sector (id, name or alias).")]
UndatedOpt = Annotated[str, typer.Option(
    "--undated", metavar="MODE", autocompletion=complete.undated,
    help="Records without the date filtered on: exclude (default; their number is reported), include, or only them.")]
DateRoleOpt = Annotated[Optional[str], typer.Option(
    "--date-role", metavar="ROLE", autocompletion=complete.roles,
    help="Which date to filter on: issued, adopted, announced, published, reported, effective, occurred or period "
         "(the period a document covers). Default: the issued date, else the first known one.")]
AgencyOpt = Annotated[Optional[str], typer.Option("--agency", "-a", metavar="AGENCY", autocompletion=complete.names("agency"), help="Only policies issued or co-issued by this agency.")]
LimitOpt = Annotated[Optional[int], typer.Option(
    "--limit", "-n", min=0, metavar="N", help="At most N rows (default: all; 0 for all). What a limit leaves out is said on stderr.")]
