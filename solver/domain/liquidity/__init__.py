"""Pool math in exact integers, rounding as the pools' contracts round."""
