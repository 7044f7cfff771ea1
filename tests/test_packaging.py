"""The installed package is complete: entry point, bundled data, version."""

from __future__ import annotations

import subprocess
import sys

import fintrak
from fintrak.resources import bundled_dir, models_dir, typologies_dir


def test_bundled_folders_are_found_through_the_package():
    assert (typologies_dir() / "README.md").is_file()
    assert (models_dir() / "README.md").is_file()


def test_bundled_dir_rejects_unknown_names():
    import pytest

    with pytest.raises(ValueError, match="must be 'models' or 'typologies'"):
        bundled_dir("secrets")


def test_console_script_reports_version():
    result = subprocess.run(
        [sys.executable, "-c", "from fintrak.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"fintrak {fintrak.__version__}"


def test_importing_fintrak_stays_light():
    code = (
        "import sys, fintrak; "
        "heavy = [m for m in ('pandas', 'pyarrow', 'pandera', 'lightgbm') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
