*f
d

	web@1 two"health check passed*	
agent-31´æ@üTÙA:
	web@1 two@HPZ›ëM;}K­›İ+{=Ëmb

k