"""One desk machinery for every desk: a desk is a declaration (`declaration.Desk`), its pages are the shared views."""
