"""One desk machinery for every desk: a desk is a declaration (`declaration.DeskDeclaration`), its pages are the shared views."""
