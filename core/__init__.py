"""What every layer shares, importing nothing of the project: the code lists of the records,
the policy-file loader, survival curves, CSV cells that cannot run as formulas. Every package
may import it; it imports none."""
