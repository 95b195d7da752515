"""Kitchen tickets on ESC/POS printers: pulled by a print agent on the restaurant's network
(the default), or sent directly by the job engine where the operator allows it."""
