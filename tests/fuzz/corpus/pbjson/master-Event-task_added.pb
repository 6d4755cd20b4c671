 +
)
web 1
	web@1 two
fw-1*	
agent-30