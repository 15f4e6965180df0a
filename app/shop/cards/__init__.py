"""Printed household cards with a PIN: issuing and reissuing them, the printable sheets, the
counter's PIN step, and what cards tell people through the outbox."""
