"""The service functions the API, the pages and the command line call: records in, engine
inputs built, results stored."""
