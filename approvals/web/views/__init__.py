"""One module per page (or per group of a page's fragments). Views are thin: validate, call, render."""
