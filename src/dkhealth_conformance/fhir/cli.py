"""``dkconform fhir``: the FHIR package cache (setup, install, list)."""

from __future__ import annotations

import sys

import click

_CACHE_HELP = "Package cache folder (default: $DKHEALTH_FHIR_CACHE or ~/.fhir/packages)."


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.group("fhir")
def fhir_group() -> None:
    """FHIR packages: obtain the R4 core package, install packages, list the cache."""


@fhir_group.command("setup")
@click.option("--cache", type=click.Path(file_okay=False), help=_CACHE_HELP)
@click.option("--registry", metavar="URL",
              help="Base URL of a FHIR package registry to try last (default: $DKHEALTH_FHIR_REGISTRY).")
@click.option("--examples/--no-examples", default=False, show_default=True,
              help="Also fetch the official R4 examples (npm hl7.fhir.r4.examples@4.0.1) into the cache.")
def setup_cmd(cache: str | None, registry: str | None, examples: bool) -> None:
    """Obtain hl7.fhir.r4.core#4.0.1 into the package cache (once; checked by sha256)."""
    from .setup import SetupError, obtain_core, obtain_examples

    try:
        folder = obtain_core(cache, registry=registry, log=_log)
        if examples:
            _log(f"examples: {obtain_examples(cache, log=_log)}")
    except SetupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"hl7.fhir.r4.core#4.0.1 ready in {folder}")


@fhir_group.command("install")
@click.argument("ref", metavar="ID#VERSION")
@click.option("--from", "from_file", type=click.Path(exists=True, dir_okay=False),
              help="Install from this package tarball (.tgz) instead of downloading.")
@click.option("--cache", type=click.Path(file_okay=False), help=_CACHE_HELP)
@click.option("--registry", metavar="URL", help="Base URL of a FHIR package registry.")
@click.option("--force", is_flag=True, help="Replace the package when it is already in the cache.")
def install_cmd(ref: str, from_file: str | None, cache: str | None, registry: str | None,
                force: bool) -> None:
    """Install a FHIR package into the cache."""
    from .setup import SetupError, install_package

    if "#" not in ref:
        raise click.UsageError(f"expected ID#VERSION (for example hl7.fhir.r4.core#4.0.1), got {ref!r}")
    try:
        folder = install_package(ref, from_file, cache, registry=registry, replace=force, log=_log)
    except SetupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{ref} ready in {folder}")


@fhir_group.command("list")
@click.option("--cache", type=click.Path(file_okay=False), help=_CACHE_HELP)
def list_cmd(cache: str | None) -> None:
    """List the packages in the cache: id, version and number of resources."""
    from .packages import Package, PackageError, cache_dir, cached_packages

    found = cached_packages(cache)
    if not found:
        click.echo(f"no FHIR packages in {cache_dir(cache)}")
        return
    rows = [("ID", "VERSION", "RESOURCES")]
    for item in found:
        try:
            count = str(len(Package.from_folder(item.path).entries))
        except PackageError:
            count = "unreadable"
        rows.append((item.id, item.version, count))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"({cache_dir(cache)})")
