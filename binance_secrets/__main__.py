from __future__ import annotations

from binance_secrets.cli import main

raise SystemExit(main())
