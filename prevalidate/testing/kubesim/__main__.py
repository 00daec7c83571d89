"""`python -m prevalidate.testing.kubesim --cluster FILE ...` (same as `prevalidate sim`)."""

from .cli import main

raise SystemExit(main())
