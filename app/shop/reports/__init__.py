"""The shop's reports: the day's redemptions, the monthly statement and the spreadsheets."""
