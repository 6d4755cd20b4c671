 2
	
agent-3