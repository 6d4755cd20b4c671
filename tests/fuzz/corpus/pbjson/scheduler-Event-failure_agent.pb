:
	
agent-3