:
	
agent-3
exec-1	