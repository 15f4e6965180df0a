"""Points certificates (积分证明): issued as a one-page PDF with a signed QR, verified by anyone."""
