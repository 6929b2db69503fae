"""The staff account desk (issue 17): search, worklists, the account page a clerk answers the phone with,
notes and holds, adjustments with approval, corrections and new accounts."""
