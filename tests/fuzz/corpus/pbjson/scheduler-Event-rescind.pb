"
	
offer-7