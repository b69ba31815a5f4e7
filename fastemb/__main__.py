"""``python -m fastemb`` runs the command line."""
import sys

from fastemb.cli import main

sys.exit(main())
