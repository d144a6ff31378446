// placeholder until the suite lands (safe to delete)
