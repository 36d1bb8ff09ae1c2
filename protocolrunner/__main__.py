from protocolrunner.cli import main

raise SystemExit(main())
