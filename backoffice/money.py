"""Money is integer fen everywhere; this is the one place it becomes text."""


def format_fen(fen: int | None) -> str:
    """1250 → ¥12.50"""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"
