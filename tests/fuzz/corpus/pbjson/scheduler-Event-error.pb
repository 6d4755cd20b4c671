B
Framework has been removed