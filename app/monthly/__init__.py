"""A village's monthly report (月报) that its committee sends upward: one .xlsx workbook."""
