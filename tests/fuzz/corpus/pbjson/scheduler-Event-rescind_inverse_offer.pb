
R	

inv-1