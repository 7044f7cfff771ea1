"""Reading and writing: input readers, column maps and atomic output writers."""
