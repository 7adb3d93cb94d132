"""The user's tools: the `tinyres` command, gradcheck, tinyres.testing, the bench harness."""
