"""Browser pages built on cases: the seller portal's merchant and case pages (seller.py) and
the reviewer workbench (review.py). Views are thin: input through forms, every write through
cases/kyc/merchants services, every read through their selectors."""
