from pathlib import Path

from setuptools import find_packages, setup

requirements = [line.strip() for line in Path(__file__).with_name("requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not line.startswith("pytest")]

setup(
    name="ms-bridge",
    version="0.1.0",
    description="Multi-stakeholder, multi-objective recommendation with a knowledge bridge and MS-NSW welfare",
    long_description=Path(__file__).with_name("README.md").read_text(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["ms_bridge", "ms_bridge.*", "baselines", "baselines.*"]),
    python_requires=">=3.11",
    install_requires=requirements,
    license="Apache-2.0",
)
